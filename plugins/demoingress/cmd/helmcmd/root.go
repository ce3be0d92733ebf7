// Package helmcmd holds kubectl-demoingress's commands that read or drive the controllers' Helm
// releases (install, audit, migrate, status, delete): demoingress-helm runs them, so that
// kubectl-demoingress's other commands start without Helm's package initialisation (issue #29).
package helmcmd

import (
	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/osc-coco/kubectl-plugins/lib/cli"
	"github.com/osc-coco/kubectl-plugins/plugins/demoingress/cmd"
)

// NewRoot builds the whole of "kubectl demoingress", as demoingress-helm runs it.
func NewRoot(streams genericiooptions.IOStreams) *cobra.Command {
	root, _ := NewRootWithGlobals(streams)
	return root
}

// NewRootWithGlobals also returns the shared flags, so tests can wrap clients.
func NewRootWithGlobals(streams genericiooptions.IOStreams) (*cobra.Command, *cli.Globals) {
	root, g := cmd.NewRootWithGlobals(streams)
	for _, c := range []*cobra.Command{newInstallCommand(g), newAuditCommand(g), newMigrateCommand(g), newStatusCommand(g), newDeleteCommand(g)} {
		cli.ProvideHelped(root, c)
	}
	return root, g
}
