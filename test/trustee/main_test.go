package trustee

import (
	"context"
	"os"
	"testing"

	"github.com/osc-coco/kubectl-plugins/test/harness"
)

// cp runs the real controllers and kwok nodes (the Deployments' pods become ready without
// images) and the load balancer stand-in, for trustee install; the KBS tests need none of it.
var cp *harness.ControlPlane

func TestMain(m *testing.M) {
	os.Exit(harness.Main(m, &cp, func(ctx context.Context, cp *harness.ControlPlane) error {
		if err := cp.StartControllers(); err != nil {
			return err
		}
		if err := cp.AddNodes(ctx, harness.Node{Name: "worker-1", Labels: map[string]string{"node.kubernetes.io/worker": ""}}); err != nil {
			return err
		}
		harness.LoadBalancerStandIn(ctx, cp.Admin)
		return nil
	}))
}
