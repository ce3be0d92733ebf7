package nodecheck

import (
	"slices"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/osc-coco/kubectl-plugins/lib/tee"
	"github.com/osc-coco/kubectl-plugins/lib/tee/hostprobe"
)

type nodeSpec struct {
	arch, kubelet, runtime, cpu, mem string
	labels                           map[string]string
	notReady, cordoned               bool
}

func node(s nodeSpec) *corev1.Node {
	def := func(v, d string) string {
		if v == "" {
			return d
		}
		return v
	}
	ready := corev1.ConditionTrue
	if s.notReady {
		ready = corev1.ConditionFalse
	}
	res := corev1.ResourceList{corev1.ResourceCPU: resource.MustParse(def(s.cpu, "16")), corev1.ResourceMemory: resource.MustParse(def(s.mem, "64Gi"))}
	return &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{Name: "n1", Labels: s.labels},
		Spec:       corev1.NodeSpec{Unschedulable: s.cordoned},
		Status: corev1.NodeStatus{
			Capacity: res, Allocatable: res,
			Conditions: []corev1.NodeCondition{{Type: corev1.NodeReady, Status: ready, Reason: "KubeletNotReady"}},
			NodeInfo: corev1.NodeSystemInfo{Architecture: def(s.arch, "amd64"), OperatingSystem: "linux",
				KubeletVersion: def(s.kubelet, "v1.33.2"), ContainerRuntimeVersion: def(s.runtime, "containerd://1.7.22")},
		},
	}
}

func workerLabels(extra map[string]string) map[string]string {
	l := map[string]string{tee.WorkerLabel: ""}
	for k, v := range extra {
		l[k] = v
	}
	return l
}

func status(r Report, id string) tee.Status {
	for _, c := range r.Checks {
		if c.ID == id {
			return c.Status
		}
	}
	return "absent"
}

func TestEvaluate(t *testing.T) {
	tests := []struct {
		name      string
		node      nodeSpec
		require   tee.Requirement
		ready     bool
		detection tee.Detection
		kinds     []tee.Kind
		classes   []string
		checks    map[string]tee.Status
	}{
		{name: "snp worker from NFD", node: nodeSpec{labels: workerLabels(map[string]string{tee.NFDPrefix + "cpu-security.sev.snp.enabled": "true", tee.NFDPrefix + "cpu-security.sev.enabled": "true"})},
			ready: true, detection: tee.Found, kinds: []tee.Kind{tee.SEVSNP, tee.SEV},
			classes: []string{"kata-qemu-coco-dev", "kata-qemu-coco-dev-runtime-rs", "kata-qemu-snp"},
			checks:  map[string]tee.Status{"kubernetes-version": tee.Pass, "container-runtime": tee.Pass, "worker-label": tee.Pass, "kata-runtime": tee.Skip}},
		{name: "tdx with nvidia cc", node: nodeSpec{labels: workerLabels(map[string]string{"intel.feature.node.kubernetes.io/tdx": "true", tee.NvidiaCCLabel: "true"})},
			ready: true, detection: tee.Found, kinds: []tee.Kind{tee.TDX, tee.NvidiaCC},
			classes: []string{"kata-qemu-coco-dev", "kata-qemu-coco-dev-runtime-rs", "kata-qemu-tdx", "kata-qemu-nvidia-gpu-tdx"}},
		{name: "s390x secure execution", node: nodeSpec{arch: "s390x", labels: workerLabels(map[string]string{tee.NFDPrefix + "cpu-security.se.enabled": "true"})},
			ready: true, detection: tee.Found, kinds: []tee.Kind{tee.SE}, classes: []string{"kata-qemu-coco-dev", "kata-qemu-se", "kata-qemu-se-runtime-rs"}},
		{name: "OSC sgx machine type", node: nodeSpec{labels: workerLabels(map[string]string{tee.InstanceType: "vm-dedicated-sgx-4-16-16"})},
			ready: true, detection: tee.Found, kinds: []tee.Kind{tee.SGX}, classes: []string{"kata-qemu-coco-dev", "kata-qemu-coco-dev-runtime-rs"}},
		{name: "NFD present, no TEE", node: nodeSpec{labels: workerLabels(map[string]string{tee.NFDPrefix + "cpu-cpuid.AVX2": "true"})},
			ready: true, detection: tee.None, kinds: []tee.Kind{}},
		{name: "no NFD: unknown, and --require fails", node: nodeSpec{labels: workerLabels(nil)}, require: tee.RequireAny,
			ready: false, detection: tee.Undetected, kinds: []tee.Kind{}, checks: map[string]tee.Status{"tee-required": tee.Fail}},
		{name: "require snp met", node: nodeSpec{labels: workerLabels(map[string]string{"amd.feature.node.kubernetes.io/snp": "true"})}, require: tee.Requirement(tee.SEVSNP),
			ready: true, detection: tee.Found, kinds: []tee.Kind{tee.SEVSNP}, checks: map[string]tee.Status{"tee-required": tee.Pass}},
		{name: "require tdx on snp fails", node: nodeSpec{labels: workerLabels(map[string]string{"amd.feature.node.kubernetes.io/snp": "true"})}, require: tee.Requirement(tee.TDX),
			ready: false, detection: tee.Found, kinds: []tee.Kind{tee.SEVSNP}},
		{name: "old cluster and runtime", node: nodeSpec{kubelet: "v1.23.17", runtime: "containerd://1.6.20", labels: workerLabels(nil)},
			ready: false, detection: tee.Undetected, kinds: []tee.Kind{},
			checks: map[string]tee.Status{"kubernetes-version": tee.Fail, "container-runtime": tee.Fail}},
		{name: "cri-o warns", node: nodeSpec{runtime: "cri-o://1.30.4", labels: workerLabels(nil)}, ready: true, detection: tee.Undetected, kinds: []tee.Kind{},
			checks: map[string]tee.Status{"container-runtime": tee.Warn}},
		{name: "docker fails", node: nodeSpec{runtime: "docker://24.0.7", labels: workerLabels(nil)}, ready: false, detection: tee.Undetected, kinds: []tee.Kind{},
			checks: map[string]tee.Status{"container-runtime": tee.Fail}},
		{name: "kwok version strings are unknown, not failures", node: nodeSpec{kubelet: "kwok-v0.8.0", runtime: "kwok-v0.8.0", labels: workerLabels(nil)},
			ready: true, detection: tee.Undetected, kinds: []tee.Kind{}, checks: map[string]tee.Status{"kubernetes-version": tee.Unknown, "container-runtime": tee.Unknown}},
		{name: "small machine without worker label", node: nodeSpec{cpu: "2", mem: "4Gi"}, ready: false, detection: tee.Undetected, kinds: []tee.Kind{},
			checks: map[string]tee.Status{"cpu": tee.Fail, "memory": tee.Fail, "worker-label": tee.Fail}},
		{name: "8 GiB machine minus kernel reservations warns", node: nodeSpec{cpu: "4", mem: "8010580Ki", labels: workerLabels(nil)}, ready: true,
			detection: tee.Undetected, kinds: []tee.Kind{}, checks: map[string]tee.Status{"memory": tee.Warn, "cpu": tee.Pass}},
		{name: "not ready and cordoned", node: nodeSpec{notReady: true, cordoned: true, labels: workerLabels(nil)}, ready: false,
			detection: tee.Undetected, kinds: []tee.Kind{}, checks: map[string]tee.Status{"node-ready": tee.Fail, "schedulable": tee.Warn}},
		{name: "GKE confidential node is a guest", node: nodeSpec{labels: workerLabels(map[string]string{gkeConfidential: "SEV_SNP"})},
			ready: true, detection: tee.Found, kinds: []tee.Kind{tee.SEVSNP}, classes: []string{}},
		{name: "arm64 warns", node: nodeSpec{arch: "arm64", labels: workerLabels(nil)}, ready: true, detection: tee.Undetected, kinds: []tee.Kind{}, classes: []string{},
			checks: map[string]tee.Status{"architecture": tee.Warn}},
		{name: "kata installed", node: nodeSpec{labels: workerLabels(map[string]string{tee.KataRuntime: "true"})}, ready: true, detection: tee.Undetected, kinds: []tee.Kind{},
			checks: map[string]tee.Status{"kata-runtime": tee.Pass}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := Evaluate(node(tt.node), Options{Require: tt.require})
			if r.Ready != tt.ready {
				t.Errorf("ready = %v, want %v (%+v)", r.Ready, tt.ready, tee.Failed(r.Checks))
			}
			if r.TEE.Status != tt.detection || !slices.Equal(r.TEE.Kinds, tt.kinds) {
				t.Errorf("tee = %+v, want %s %v", r.TEE, tt.detection, tt.kinds)
			}
			if tt.classes != nil && !slices.Equal(r.RuntimeClasses, tt.classes) {
				t.Errorf("runtime classes = %v, want %v", r.RuntimeClasses, tt.classes)
			}
			for id, want := range tt.checks {
				if got := status(r, id); got != want {
					t.Errorf("check %s = %s, want %s", id, got, want)
				}
			}
			for _, c := range r.Checks {
				if c.Status == tee.Fail && c.Fix == "" {
					t.Errorf("failed check %s has no fix", c.ID)
				}
			}
		})
	}
}

func TestWithHostReplacesLabelVerdict(t *testing.T) {
	r := Evaluate(node(nodeSpec{labels: workerLabels(nil)}), Options{Require: tee.Requirement(tee.TDX)})
	if r.Ready {
		t.Fatal("unknown TEE satisfied --require tdx")
	}
	host := hostprobe.Report{TEE: tee.TEEReport{Status: tee.Found, Kinds: []tee.Kind{tee.TDX}, Source: "host-probe"}, Ready: true,
		Checks: []tee.Check{{ID: "kvm", Status: tee.Pass}, {ID: "tdx", Status: tee.Pass}}}
	r.WithHost(host, Options{Require: tee.Requirement(tee.TDX)})
	if !r.Ready || r.TEE.Source != "host-probe" || status(r, "tee-required") != tee.Pass {
		t.Fatalf("after probe: ready=%v tee=%+v checks=%+v", r.Ready, r.TEE, r.Checks)
	}
	if !slices.Contains(r.RuntimeClasses, "kata-qemu-tdx") {
		t.Errorf("runtime classes %v lack kata-qemu-tdx", r.RuntimeClasses)
	}
	n := 0
	for _, c := range r.Checks {
		if c.ID == "tee-required" {
			n++
		}
	}
	if n != 1 {
		t.Errorf("%d tee-required checks", n)
	}
	host.Ready = false
	host.Checks = []tee.Check{{ID: "kvm", Status: tee.Fail}}
	r.WithHost(host, Options{})
	if r.Ready || len(r.RuntimeClasses) != 0 {
		t.Errorf("a host without KVM: ready=%v classes=%v", r.Ready, r.RuntimeClasses)
	}
}

// #27 class 2: a node whose kubelet has not reported its capacity or Ready condition is not
// called ready on facts nobody saw.
func TestUnreportedFactsAreNotReady(t *testing.T) {
	for name, strip := range map[string]func(*corev1.Node){
		"no capacity": func(n *corev1.Node) { n.Status.Capacity, n.Status.Allocatable = nil, nil },
		"no memory": func(n *corev1.Node) {
			delete(n.Status.Capacity, corev1.ResourceMemory)
			delete(n.Status.Allocatable, corev1.ResourceMemory)
		},
		"no Ready condition": func(n *corev1.Node) { n.Status.Conditions = nil },
	} {
		n := node(nodeSpec{labels: workerLabels(map[string]string{tee.NFDPrefix + "cpu-security.sev.snp.enabled": "true"})})
		if r := Evaluate(n, Options{}); !r.Ready || !r.Confidential {
			t.Fatalf("%s: the complete node is not ready: %+v", name, r.Checks)
		}
		strip(n)
		if r := Evaluate(n, Options{}); r.Ready || r.Confidential {
			t.Errorf("%s: ready on unreported facts: %+v", name, r.Checks)
		}
	}
}
