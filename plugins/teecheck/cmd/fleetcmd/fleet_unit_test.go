package fleetcmd

import (
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"k8s.io/client-go/kubernetes/fake"

	"github.com/osc-coco/kubectl-plugins/lib/cli/clitest"
	"github.com/osc-coco/kubectl-plugins/lib/garden/gardentest"
	"github.com/osc-coco/kubectl-plugins/lib/kube"
	"github.com/osc-coco/kubectl-plugins/lib/tee"
	"github.com/osc-coco/kubectl-plugins/plugins/teecheck/cmd"
)

// run runs a kubectl teecheck command line on the fakes of f, in the whole tree.
func run(f *clitest.Factory, args ...string) clitest.Result {
	return clitest.Exec(NewRootWithGlobals, f, args...)
}

// The fleet flags' refusals are usage errors (exit 2) before anything is read.
func TestFleetUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{"nodes", "-p", "eco"},
		{"nodes", "--garden", "osc"},
		{"nodes", "--shoots", "all", "--parallel", "0"},
		{"nodes", "--no-cache"},
	} {
		f := &clitest.Factory{Kube: fake.NewClientset()}
		r := run(f, args...)
		if r.Code != 2 || !strings.HasPrefix(r.Err, "error: ") || r.Out != "" || len(f.Kube.Actions()) != 0 {
			t.Errorf("%v: exit %d, out %q, err %q, actions %v", args, r.Code, r.Out, r.Err, f.Kube.Actions())
		}
	}
}

// kubectl-teecheck hands nodes to teecheck-fleet only with the fleet's flags, and lists nodes
// with the same help as the real one.
func TestTreesAgree(t *testing.T) {
	streams := genericiooptions.NewTestIOStreamsDiscard()
	clitest.TreesAgree(t, cmd.NewRoot(streams), NewRoot(streams), cmd.Helper, "nodes")
}

// --shoots reads each shoot through a kubeconfig the garden issues; a hibernated shoot and one
// that cannot be reached are results, not failures of the read.
func TestNodesOverShoots(t *testing.T) {
	conn, _ := gardentest.Conn("osc", gardentest.Project("eco"), gardentest.Shoot("eco", "eco-a", false),
		gardentest.Shoot("eco", "eco-b", true), gardentest.Shoot("eco", "eco-c", false))
	snp := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "snp-1", Labels: map[string]string{tee.WorkerLabel: "", tee.NFDPrefix + "cpu-security.sev.snp.enabled": "true"}}}
	snp.Status.Capacity = corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("16"), corev1.ResourceMemory: resource.MustParse("64Gi")}
	snp.Status.NodeInfo = corev1.NodeSystemInfo{ContainerRuntimeVersion: "containerd://1.7.22", Architecture: "amd64", OperatingSystem: "linux"}
	snp.Status.Conditions = []corev1.NodeCondition{{Type: corev1.NodeReady, Status: corev1.ConditionTrue}}
	f := &clitest.Factory{GardenConn: conn, Shoots: map[string]*kube.Clients{gardentest.ShootHost("eco-a"): {Kube: fake.NewClientset(snp)}}}
	r := run(f, "nodes", "--shoots", "all", "-p", "eco", "-o", `jsonpath={range .items[*]}{.shoot}={.status}/{.access} {end}`)
	if r.Code != 1 || r.Out != "eco-a=pass/admin eco-b=skip/ eco-c=unknown/admin " {
		t.Fatalf("exit %d %q %s", r.Code, r.Out, r.Err)
	}
	if r := run(f, "nodes", "--shoots", "eco-a,eco-x", "-p", "eco"); r.Code != 2 || !strings.Contains(r.Err, `shoot "eco-x" does not exist in project eco`) {
		t.Fatalf("unknown shoot: exit %d %s", r.Code, r.Err)
	}
	if r := run(f, "nodes", "--shoots", "all", "-p", "nope"); r.Code != 2 || !strings.Contains(r.Err, `project "nope" does not exist`) {
		t.Fatalf("unknown project: exit %d %s", r.Code, r.Err)
	}
}
