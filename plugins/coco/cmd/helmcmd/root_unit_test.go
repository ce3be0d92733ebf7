package helmcmd

import (
	"testing"

	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/osc-coco/kubectl-plugins/lib/cli/clitest"
	"github.com/osc-coco/kubectl-plugins/plugins/coco/cmd"
	"github.com/osc-coco/kubectl-plugins/plugins/coco/cmd/cmdutil"
)

// kubectl-coco lists the Helm commands with the same one-line help as coco-helm's real ones,
// and coco-helm's tree has a real command for every entry.
func TestTreesAgree(t *testing.T) {
	streams := genericiooptions.NewTestIOStreamsDiscard()
	clitest.TreesAgree(t, cmd.NewRoot(streams), NewRoot(streams), cmdutil.Helper,
		"attest", "install", "status", "uninstall", "trustee install", "trustee status", "trustee uninstall")
}
