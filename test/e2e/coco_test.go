package e2e

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/osc-coco/kubectl-plugins/lib/version"
)

func TestCocoBinary(t *testing.T) {
	res := plugin(t, "coco", nil, "version", "-o", "json")
	var info version.Info
	if err := json.Unmarshal([]byte(res.stdout), &info); err != nil || info.Plugin != "coco" || info.Version != TestVersion {
		t.Fatalf("version: %v %+v", err, info)
	}
	// e2e-snp is a ready SNP worker: the cluster is ready; e2e-small is not a worker.
	res = plugin(t, "coco", []string{"KUBECONFIG=" + cp.AdminKubeconfig}, "preflight")
	if res.code != 0 || !strings.Contains(res.stdout, "the cluster is ready for CoCo") || !strings.Contains(res.stdout, "kubectl coco label-workers e2e-small") {
		t.Errorf("preflight: exit %d\n%s%s", res.code, res.stdout, res.stderr)
	}
	res = plugin(t, "coco", []string{"KUBECONFIG=" + cp.AdminKubeconfig}, "label-workers")
	if res.code != 2 {
		t.Errorf("label-workers without nodes: exit %d", res.code)
	}
}
