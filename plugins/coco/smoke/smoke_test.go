package smoke

import (
	"strings"
	"testing"
	"time"
)

func TestPodIsRestrictedAndPinned(t *testing.T) {
	p := Pod(PodOptions{Namespace: "ns", RuntimeClass: "kata-qemu-snp", Node: "n1", Deadline: time.Minute, ManagedBy: "kubectl-coco"})
	s := p.Spec
	if *s.RuntimeClassName != "kata-qemu-snp" || s.NodeName != "n1" || *s.ActiveDeadlineSeconds != 60 || *s.AutomountServiceAccountToken {
		t.Errorf("spec %+v", s)
	}
	c := s.Containers[0]
	if *c.SecurityContext.AllowPrivilegeEscalation || c.SecurityContext.Capabilities.Drop[0] != "ALL" || !*s.SecurityContext.RunAsNonRoot {
		t.Error("not restricted")
	}
	if c.Image != DefaultImage || strings.Join(c.Command, " ") != "uname -r" || !strings.HasPrefix(p.Name, AppName+"-") {
		t.Errorf("container %+v name %s", c, p.Name)
	}
}

func TestJudge(t *testing.T) {
	if vm, v := Judge("6.12.28-kata\n", "6.1.0-28-amd64"); !vm || !strings.Contains(v, "guest VM") {
		t.Errorf("different kernels: %v %q", vm, v)
	}
	if vm, v := Judge("6.1.0-28-amd64", "6.1.0-28-amd64"); vm || !strings.Contains(v, "NOT isolated") {
		t.Errorf("same kernel: %v %q", vm, v)
	}
	if vm, _ := Judge("", "6.1.0"); vm {
		t.Error("empty output judged a VM")
	}
}
