package rbac

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	coco "github.com/osc-coco/kubectl-plugins/plugins/coco/cmd/helmcmd"
	demoingress "github.com/osc-coco/kubectl-plugins/plugins/demoingress/cmd/helmcmd"
	teecheck "github.com/osc-coco/kubectl-plugins/plugins/teecheck/cmd/fleetcmd"
	"github.com/osc-coco/kubectl-plugins/test/harness"
)

// Beside the restricted users: an API server that does not answer (nothing listens on the
// port) is reported as unreachable by every read command, never as a verdict.
func TestReadsOnAnUnreachableAPIServer(t *testing.T) {
	data, err := os.ReadFile(cp.AdminKubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	kc := filepath.Join(t.TempDir(), "gone.yaml")
	if err := os.WriteFile(kc, []byte(strings.Replace(string(data), "server: "+cp.Server, "server: https://127.0.0.1:1", 1)), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		plugin plugin
		args   []string
	}{
		{teecheck.NewRoot, []string{"nodes"}}, {teecheck.NewRoot, []string{"node", "w1"}},
		{coco.NewRoot, []string{"preflight"}}, {coco.NewRoot, []string{"runtimeclasses"}}, {coco.NewRoot, []string{"status"}},
		{demoingress.NewRoot, []string{"status"}}, {demoingress.NewRoot, []string{"verify", "--timeout", "5s"}},
	} {
		r := harness.Run(context.Background(), tc.plugin, kc, tc.args...)
		out := strings.ToLower(r.Stdout + r.Stderr)
		if r.Code != 1 || !(strings.Contains(out, "unreachable") || strings.Contains(out, "cannot reach")) ||
			strings.Contains(out, "healthy") || strings.Contains(out, "ready for coco") || strings.Contains(out, "does not exist") {
			t.Errorf("%v: exit %d\n%s%s", tc.args, r.Code, r.Stdout, r.Stderr)
		}
	}
}
