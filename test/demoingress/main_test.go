// Package demoingress tests kubectl-demoingress against the real kube-apiserver with the real
// kube-controller-manager and kube-scheduler and kwok nodes (so the demo Deployment really gets
// scheduled, ready pods and endpoints), our ingress-nginx test chart in a chart repository on
// loopback, and the LoadBalancerStandIn for the cloud load balancer and the ingress controller.
package demoingress

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/osc-coco/kubectl-plugins/plugins/demoingress/cmd/helmcmd"
	"github.com/osc-coco/kubectl-plugins/test/harness"
)

var (
	cp   *harness.ControlPlane
	repo *harness.ChartRepo
)

func TestMain(m *testing.M) {
	os.Exit(harness.Main(m, &cp, func(ctx context.Context, cp *harness.ControlPlane) error {
		if err := cp.StartControllers(); err != nil {
			return err
		}
		if err := cp.AddNodes(ctx, harness.Node{Name: "worker-1"}, harness.Node{Name: "worker-2"}); err != nil {
			return err
		}
		chart, err := harness.TestChart("ingress-nginx")
		if err != nil {
			return err
		}
		if repo, err = harness.StartChartRepo(chart); err != nil {
			return err
		}
		go func() { <-ctx.Done(); repo.Close() }()
		harness.LoadBalancerStandIn(ctx, cp.Admin)
		return nil
	}))
}

func run(t *testing.T, args ...string) harness.Result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	return harness.Run(ctx, helmcmd.NewRoot, cp.AdminKubeconfig, args...)
}
