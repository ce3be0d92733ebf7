// Package realnode runs the plugins against a real kubelet + containerd node on this machine:
// pods really run, and their logs and events come from the real kubelet.
package realnode

import (
	"context"
	"fmt"
	"os"
	"testing"

	"github.com/osc-coco/kubectl-plugins/test/harness"
)

var (
	cp     *harness.ControlPlane
	node   *harness.RealNode
	binDir string
)

func TestMain(m *testing.M) { os.Exit(runMain(m)) }

func runMain(m *testing.M) int {
	var err error
	if binDir, err = os.MkdirTemp("", "kubectl-coco-realnode-bin-"); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(binDir)
	if err := harness.BuildPlugins(binDir, "v0.0.0-realnode", "teecheck", "coco"); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return harness.Main(m, &cp, func(ctx context.Context, cp *harness.ControlPlane) error {
		if err := cp.StartControllers(); err != nil {
			return err
		}
		var err error
		if node, err = cp.StartNode(ctx); err != nil {
			return fmt.Errorf("real node: %w", err)
		}
		// kwok's simulated nodes share the cluster; kwok leaves the real node alone.
		return cp.AddNodes(ctx, harness.Node{Name: "sim-1"})
	})
}
