// Package helmcmd holds kubectl-coco's commands that need the Helm SDK (install, status,
// uninstall, trustee install/status/uninstall, attest): coco-helm runs them, so that
// kubectl-coco's other commands start without Helm's package initialisation (issue #29).
package helmcmd

import (
	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/osc-coco/kubectl-plugins/lib/cli"
	"github.com/osc-coco/kubectl-plugins/plugins/coco/cmd"
)

// NewRoot builds the whole of "kubectl coco", as coco-helm runs it.
func NewRoot(streams genericiooptions.IOStreams) *cobra.Command {
	root, _ := NewRootWithGlobals(streams)
	return root
}

// NewRootWithGlobals also returns the shared flags, so tests and benchmarks can wrap clients.
func NewRootWithGlobals(streams genericiooptions.IOStreams) (*cobra.Command, *cli.Globals) {
	root, g := cmd.NewRootWithGlobals(streams)
	for _, c := range []*cobra.Command{newInstallCommand(g), newStatusCommand(g), newUninstallCommand(g), NewAttestCommand(g)} {
		cli.ProvideHelped(root, c)
	}
	trustee, _, err := root.Find([]string{"trustee"})
	if err != nil {
		panic(err) // the tree is built above
	}
	for _, c := range []*cobra.Command{newTrusteeInstallCommand(g), newTrusteeStatusCommand(g), newTrusteeUninstallCommand(g)} {
		cli.ProvideHelped(trustee, c)
	}
	return root, g
}
