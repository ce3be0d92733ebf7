package gardencmd

import (
	"testing"

	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/osc-coco/kubectl-plugins/lib/cli/clitest"
	shootcmd "github.com/osc-coco/kubectl-plugins/plugins/shoot/cmd"
)

// kubectl-shoot hands every command to shoot-garden, listed with its help and aliases, and
// declares the garden flags as shoot-garden does.
func TestTreesAgree(t *testing.T) {
	streams := genericiooptions.NewTestIOStreamsDiscard()
	clitest.TreesAgree(t, shootcmd.NewRoot(streams), NewRoot(streams), shootcmd.Helper, "", // the root, with --garden or -p
		"config", "doctor", "list", "machine-types", "create", "kubeconfig", "use", "status", "wait", "delete",
		"hibernate", "wake-up", "reconcile", "retry", "maintain", "rotate-credentials", "pool")
}
