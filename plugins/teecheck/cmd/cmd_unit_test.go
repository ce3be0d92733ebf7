package cmd

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes/fake"

	"github.com/osc-coco/kubectl-plugins/lib/cli/clitest"
	"github.com/osc-coco/kubectl-plugins/lib/tee"
)

// run runs a kubectl teecheck command line on the fakes of f.
func run(f *clitest.Factory, args ...string) clitest.Result {
	return clitest.Exec(NewRootWithGlobals, f, args...)
}

func onNodes(objs ...runtime.Object) *clitest.Factory {
	return &clitest.Factory{Kube: fake.NewClientset(objs...)}
}

// Every refusal is a usage error (exit 2) that says what to do, before anything is read.
func TestUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{"nodes", "-o", "toml"},
		{"nodes", "-l", "a in (b"},
		{"nodes", "--require", "sev-xyz"},
		{"nodes", "--color", "sometimes"},
		{"nodes", "--no-such-flag"},
		{"nodes", "--chunk-size", "-1"},
		{"node", "--all-nodes", "--chunk-size", "-5"},
		{"node"},
		{"node", "a", "--all-nodes"},
		{"node", "Not_A_Node"},
		{"node", "a", "--parallel", "0"},
		{"node", "a", "--timeout", "0s"},
		{"node", "a", "--image-pull-policy", "Sometimes"},
		{"node", "a", "-l", "x=y"},
		{"node", "a", "-n", "default"}, // -n only where --deep runs probe pods (#27 class 1)
		{"nodes", "-n", "default"},
		{"local", "-n", "default"},
		{"local", "--host-root", "/does/not/exist"},
		{"local", "--dmesg", "/does/not/exist"},
		{"version", "-o", "wide"},
		{"no-such-command"},
	} {
		f := onNodes()
		r := run(f, args...)
		if r.Code != 2 || !strings.HasPrefix(r.Err, "error: ") || r.Out != "" {
			t.Errorf("%v: exit %d, out %q, err %q", args, r.Code, r.Out, r.Err)
		}
		if len(f.Kube.Actions()) != 0 {
			t.Errorf("%v: the cluster was read before the refusal: %v", args, f.Kube.Actions())
		}
	}
}

func TestNodeJudgesNamedNodes(t *testing.T) {
	f := onNodes(fakeNode("snp-1", "16", "64Gi", "containerd://1.7.22", map[string]string{tee.WorkerLabel: "", tee.NFDPrefix + "cpu-security.sev.snp.enabled": "true"}))
	if r := run(f, "node", "snp-1", "-o", "jsonpath={.items[0].name} {.items[0].tee.kinds[0]} {.items[0].ready}"); r.Code != 0 || r.Out != "snp-1 sev-snp true" {
		t.Fatalf("exit %d %q %s", r.Code, r.Out, r.Err)
	}
	if r := run(f, "node", "snp-2"); r.Code != 1 || !strings.Contains(r.Err, `node "snp-2" does not exist; did you mean "snp-1"?`) {
		t.Fatalf("absent node: exit %d %q %s", r.Code, r.Out, r.Err)
	}
}

func TestLocalReadsAHostRoot(t *testing.T) {
	r := run(onNodes(), "local", "--host-root", "../../../lib/tee/hostprobe/testdata/hosts/snp-host",
		"--dmesg", "../../../lib/tee/hostprobe/testdata/hosts/snp-host.dmesg", "-o", "json")
	var rep HostReport
	if err := json.Unmarshal([]byte(r.Out), &rep); err != nil || rep.Kind != "HostReport" || !slices.Contains(rep.Report.TEE.Kinds, tee.SEVSNP) {
		t.Fatalf("exit %d %v %+v\n%s", r.Code, err, rep, r.Err)
	}
}

func TestVersion(t *testing.T) {
	if r := run(onNodes(), "version", "-o", "jsonpath={.plugin}"); r.Code != 0 || r.Out != "teecheck" {
		t.Fatalf("exit %d %q %s", r.Code, r.Out, r.Err)
	}
}

// #27 class 6: node names and -n complete from the cluster.
func TestCompletion(t *testing.T) {
	f := onNodes(fakeNode("snp-1", "16", "64Gi", "containerd://1.7.22", nil), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "probes"}})
	if r := run(f, "__complete", "node", "snp"); r.Code != 0 || !strings.HasPrefix(r.Out, "snp-1\n") {
		t.Fatalf("nodes: exit %d %q %s", r.Code, r.Out, r.Err)
	}
	if r := run(f, "__complete", "node", "--deep", "-n", "pro"); r.Code != 0 || !strings.HasPrefix(r.Out, "probes\n") {
		t.Fatalf("-n: exit %d %q %s", r.Code, r.Out, r.Err)
	}
}
