package cmd

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/osc-coco/kubectl-plugins/lib/cli/clitest"
	"github.com/osc-coco/kubectl-plugins/lib/kube"
	"github.com/osc-coco/kubectl-plugins/lib/output"
	"github.com/osc-coco/kubectl-plugins/plugins/coco/cmd/cmdtest"
	"github.com/osc-coco/kubectl-plugins/plugins/coco/smoke"
)

func TestSmokeTestOnFakes(t *testing.T) {
	tests := []struct {
		name, nodeKernel string
		allow            bool
		args             []string
		code             int
		want             string
	}{
		{"a guest kernel", "6.8.0-51-generic", true, nil, 0, `true kata-qemu-coco-dev w1 the pod ran in a guest VM: its kernel (fake logs) is not the node's (6.8.0-51-generic)`},
		{"the node's own kernel", "fake logs", true, nil, 1, "false kata-qemu-coco-dev w1 the pod ran on the node's own kernel (fake logs): it was NOT isolated"},
		{"no right to create pods", "6.8.0", false, nil, 1, ""},
		{"a class that does not exist", "6.8.0", true, []string{"kata-qemu-snp"}, 1, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cs := cmdtest.SmokeCluster(tt.nodeKernel, tt.allow)
			var s clitest.Streams
			o := &SmokeTestOptions{g: clitest.Globals(PluginName, &s), clients: &kube.Clients{Kube: cs, Namespace: "default"},
				Image: "busybox", PullPolicy: "IfNotPresent", Timeout: time.Minute,
				out: output.Flags{Output: "jsonpath={.guestVM} {.runtimeClass} {.node} {.verdict}"}}
			if len(tt.args) > 0 {
				o.RuntimeClass = tt.args[0]
			}
			code := clitest.Run(o, &s)
			if code != tt.code || !strings.HasPrefix(s.Out.String(), tt.want) {
				t.Fatalf("exit %d (want %d) %q\n%s", code, tt.code, s.Out.String(), s.ErrOut.String())
			}
			if pods, _ := cs.CoreV1().Pods("default").List(t.Context(), metav1.ListOptions{}); len(pods.Items) != 0 {
				t.Errorf("the smoke-test pod was left: %v", pods.Items[0].Name)
			}
			if tt.code != 0 && tt.want == "" && !strings.Contains(s.ErrOut.String(), map[bool]string{false: "not allowed", true: `"kata-qemu-snp" does not exist`}[tt.allow]) {
				t.Errorf("the error does not say why: %s", s.ErrOut.String())
			}
		})
	}
}

// #27 class 3: a smoke test whose pod fails still prints its report under -o json (what
// failed, in "error"), exit 1, and the error on stderr.
func TestSmokeTestReportsAFailedPod(t *testing.T) {
	f := cmdtest.OnCluster(cmdtest.SmokeClusterEnding("6.8.0", true, corev1.PodFailed))
	r := run(f, "smoke-test", "-o", "json")
	var res smoke.Result
	if err := json.Unmarshal([]byte(r.Out), &res); err != nil || r.Code != 1 || res.Kind != "SmokeTestResult" || res.GuestVM ||
		!strings.HasPrefix(res.Verdict, "failed") || res.Error == "" || !strings.Contains(r.Err, "smoke test of runtime class") {
		t.Fatalf("exit %d %v\n%s\n%s", r.Code, err, r.Out, r.Err)
	}
	if r := run(f, "smoke-test"); r.Code != 1 || r.Out != "" || !strings.Contains(r.Err, "smoke test of runtime class") {
		t.Fatalf("human: exit %d\n%s\n%s", r.Code, r.Out, r.Err)
	}
}
