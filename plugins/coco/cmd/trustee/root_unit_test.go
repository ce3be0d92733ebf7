package trustee

import (
	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/osc-coco/kubectl-plugins/lib/cli"
	"github.com/osc-coco/kubectl-plugins/lib/cli/clitest"
)

// pluginName is kubectl coco's, whose commands these are.
const pluginName = "coco"

// newTestRoot is kubectl coco with this package's commands (the plugin's root imports them).
func newTestRoot(streams genericiooptions.IOStreams) (*cobra.Command, *cli.Globals) {
	root, g := cli.NewRoot(pluginName, "", "", streams)
	root.AddCommand(NewTrusteeCommand(g), NewSecretCommand(g))
	return root, g
}

// run runs a command line on the fakes of f.
func run(f *clitest.Factory, args ...string) clitest.Result {
	return clitest.Exec(newTestRoot, f, args...)
}
