// Package realnode runs the plugins against a real kubelet + containerd node on this machine:
// pods really run, and their logs and events come from the real kubelet.
package realnode

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

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
	if cp, err = harness.Start(harness.Options{}); err != nil {
		fmt.Fprintln(os.Stderr, "control plane:", err)
		return 1
	}
	defer func() {
		if err := cp.Cleanup(); err != nil {
			fmt.Fprintln(os.Stderr, "stop:", err)
		}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	if node, err = cp.StartNode(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "real node:", err)
		return 1
	}
	// kwok's simulated nodes share the cluster; kwok leaves the real node alone.
	if err := cp.AddNodes(ctx, harness.Node{Name: "sim-1"}); err != nil {
		fmt.Fprintln(os.Stderr, "kwok:", err)
		return 1
	}
	return m.Run()
}
