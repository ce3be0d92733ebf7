package helmcmd

import (
	"strings"
	"testing"

	chart "helm.sh/helm/v4/pkg/chart/v2"
	rcommon "helm.sh/helm/v4/pkg/release/common"
	release "helm.sh/helm/v4/pkg/release/v1"
	appsv1 "k8s.io/api/apps/v1"
	nodev1 "k8s.io/api/node/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	dynamicfake "k8s.io/client-go/dynamic/fake"
	"k8s.io/client-go/kubernetes/fake"

	"github.com/osc-coco/kubectl-plugins/lib/cli/clitest"
	"github.com/osc-coco/kubectl-plugins/lib/helmrelease/helmtest"
	"github.com/osc-coco/kubectl-plugins/lib/kube"
	"github.com/osc-coco/kubectl-plugins/lib/output"
	"github.com/osc-coco/kubectl-plugins/lib/tee"
	"github.com/osc-coco/kubectl-plugins/plugins/coco/chartvalues"
	"github.com/osc-coco/kubectl-plugins/plugins/coco/cmd"
	"github.com/osc-coco/kubectl-plugins/plugins/coco/cmd/cmdtest"
	"github.com/osc-coco/kubectl-plugins/plugins/coco/operator"
)

// kataDeployManifest is the part of a CoCo release's manifest status reads: a RuntimeClass and
// kata-deploy's DaemonSet, recognised by its DAEMONSET_NAME variable (kata-deploy 3.x's
// templates/kata-deploy.yaml sets it); test/charts model the whole charts.
const kataDeployManifest = `---
apiVersion: node.k8s.io/v1
kind: RuntimeClass
metadata: {name: kata-qemu-snp}
handler: kata-qemu-snp
---
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: kata-deploy, namespace: coco-system}
spec:
  selector: {matchLabels: {name: kata-deploy}}
  template:
    metadata: {labels: {name: kata-deploy}}
    spec:
      containers:
      - name: kube-kata
        image: quay.io/kata-containers/kata-deploy:3.22.0
        env: [{name: DAEMONSET_NAME, value: kata-deploy}]
`

func cocoRelease(status rcommon.Status) *release.Release {
	return &release.Release{Name: chartvalues.ReleaseName, Version: 3, Manifest: kataDeployManifest,
		Chart:  &chart.Chart{Metadata: &chart.Metadata{Name: "confidential-containers", Version: "0.16.0"}},
		Config: map[string]any{chartvalues.SubChart: map[string]any{"nodeSelector": map[string]any{tee.WorkerLabel: ""}}},
		Info:   &release.Info{Status: status, Description: "Install complete"}}
}

// ccRuntimes is a dynamic fake serving CcRuntimes (the legacy operator's resource).
func ccRuntimes(objs ...runtime.Object) *dynamicfake.FakeDynamicClient {
	return dynamicfake.NewSimpleDynamicClientWithCustomListKinds(runtime.NewScheme(),
		map[schema.GroupVersionResource]string{operator.GVR: operator.Kind + "List"}, objs...)
}

func runStatus(t *testing.T, cs *fake.Clientset, format string, rels ...*release.Release) (string, string, int) {
	t.Helper()
	return runStatusWith(t, &kube.Clients{Kube: cs, Dynamic: ccRuntimes()}, format, rels...)
}

func runStatusWith(t *testing.T, c *kube.Clients, format string, rels ...*release.Release) (string, string, int) {
	t.Helper()
	hc, err := helmtest.MemoryClient(chartvalues.Namespace, rels...)
	if err != nil {
		t.Fatal(err)
	}
	var s clitest.Streams
	o := &StatusOptions{g: clitest.Globals(cmd.PluginName, &s), clients: c, releases: hc, out: output.Flags{Output: format}}
	code := clitest.Run(o, &s)
	return s.Out.String(), s.ErrOut.String(), code
}

func TestStatusOfAChartReleaseOnFakes(t *testing.T) {
	ready := &appsv1.DaemonSet{ObjectMeta: metav1.ObjectMeta{Name: "kata-deploy", Namespace: chartvalues.Namespace},
		Status: appsv1.DaemonSetStatus{DesiredNumberScheduled: 1, NumberReady: 1}}
	healthy := func() *fake.Clientset {
		return fake.NewClientset(cmdtest.Node("w1", map[string]string{tee.WorkerLabel: "", tee.KataRuntime: "true"}), ready.DeepCopy(),
			&nodev1.RuntimeClass{ObjectMeta: metav1.ObjectMeta{Name: "kata-qemu-snp"}, Handler: "kata-qemu-snp"})
	}
	tests := []struct {
		name    string
		cs      *fake.Clientset
		rel     *release.Release
		code    int
		out     string
		problem string
	}{
		{"healthy", healthy(), cocoRelease(rcommon.StatusDeployed), 0,
			`true chart 0.16.0 kata-deploy ["kata-qemu-snp"] []`, ""},
		{"a release still pending is a problem", healthy(), cocoRelease(rcommon.StatusPendingUpgrade), 1,
			`false chart 0.16.0 kata-deploy ["kata-qemu-snp"] []`, "release status is pending-upgrade"},
		{"a node kata-deploy has not finished", fake.NewClientset(cmdtest.Node("w1", map[string]string{tee.WorkerLabel: ""}), ready.DeepCopy(),
			&nodev1.RuntimeClass{ObjectMeta: metav1.ObjectMeta{Name: "kata-qemu-snp"}, Handler: "kata-qemu-snp"}),
			cocoRelease(rcommon.StatusDeployed), 1, `false chart 0.16.0 kata-deploy ["kata-qemu-snp"] []`, "nodes without katacontainers.io/kata-runtime=true: w1"},
		{"the release's runtime class is missing", fake.NewClientset(cmdtest.Node("w1", map[string]string{tee.WorkerLabel: "", tee.KataRuntime: "true"}), ready.DeepCopy()),
			cocoRelease(rcommon.StatusDeployed), 1, `false chart 0.16.0 kata-deploy [] ["kata-qemu-snp"]`, ""},
		{"the DaemonSet was deleted", fake.NewClientset(cmdtest.Node("w1", map[string]string{tee.WorkerLabel: "", tee.KataRuntime: "true"}),
			&nodev1.RuntimeClass{ObjectMeta: metav1.ObjectMeta{Name: "kata-qemu-snp"}, Handler: "kata-qemu-snp"}),
			cocoRelease(rcommon.StatusDeployed), 1, `false chart 0.16.0 kata-deploy ["kata-qemu-snp"] []`, "DaemonSet coco-system/kata-deploy (in the release's manifest) is missing"},
	}
	jp := `jsonpath={.healthy} {.method} {.version} {.daemonSet} {.runtimeClasses.present} {.runtimeClasses.missing} {.problems}`
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, errOut, code := runStatus(t, tt.cs, jp, tt.rel)
			if code != tt.code || !strings.HasPrefix(out, tt.out) || !strings.Contains(out, tt.problem) {
				t.Fatalf("exit %d (want %d)\n%s\n%s", code, tt.code, out, errOut)
			}
		})
	}
}

func TestStatusWithoutARelease(t *testing.T) {
	out, errOut, code := runStatus(t, fake.NewClientset(), "json")
	if code != 1 || !strings.Contains(out, `"installed": false`) || !strings.Contains(out, `"healthy": false`) {
		t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
	}
}

func TestStatusOfAnOperatorInstall(t *testing.T) {
	ccr := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": operator.Group + "/" + operator.Version, "kind": operator.Kind,
		"metadata": map[string]any{"name": "ccruntime-sample"},
		"status": map[string]any{"totalNodesCount": int64(2), "runtimeClass": "kata-qemu,kata-qemu-snp",
			"installationStatus": map[string]any{"completed": map[string]any{"completedNodesCount": int64(1), "completedNodesList": []any{"w1"}}}},
	}}
	cs := fake.NewClientset(cmdtest.Node("w1", map[string]string{tee.KataRuntime: "true"}))
	out, errOut, code := runStatusWith(t, &kube.Clients{Kube: cs, Dynamic: ccRuntimes(ccr)}, "json")
	for _, want := range []string{`"method": "operator"`, `"release": "ccruntime/ccruntime-sample"`,
		"the operator deployment confidential-containers-system/cc-operator-controller-manager is missing",
		"CcRuntime ccruntime-sample: 1 of 2 node(s) installed", `"missing": [`} {
		if !strings.Contains(out, want) {
			t.Errorf("no %q", want)
		}
	}
	if code != 1 {
		t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
	}
}
