package helmcmd

import (
	"testing"

	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/osc-coco/kubectl-plugins/lib/cli/clitest"
	"github.com/osc-coco/kubectl-plugins/plugins/demoingress/cmd"
)

// kubectl-demoingress lists the Helm commands with the same one-line help as demoingress-helm's
// real ones, and demoingress-helm's tree has a real command for every entry.
func TestTreesAgree(t *testing.T) {
	streams := genericiooptions.NewTestIOStreamsDiscard()
	clitest.TreesAgree(t, cmd.NewRoot(streams), NewRoot(streams), cmd.Helper, "audit", "delete", "install", "migrate", "status")
}
