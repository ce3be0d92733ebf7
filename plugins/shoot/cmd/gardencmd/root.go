// Package gardencmd holds kubectl-shoot's commands, one file each: the whole tree, as
// shoot-garden runs it (kubectl-shoot hands it every command line that names a command; see
// package cmd).
package gardencmd

import (
	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/osc-coco/kubectl-plugins/lib/cli"
	"github.com/osc-coco/kubectl-plugins/lib/names"
	shootcmd "github.com/osc-coco/kubectl-plugins/plugins/shoot/cmd"
)

// PluginName is how kubectl finds this plugin: kubectl-shoot.
const PluginName = shootcmd.PluginName

// NewRoot builds "kubectl shoot", every command included.
func NewRoot(streams genericiooptions.IOStreams) *cobra.Command {
	root, _ := NewRootWithGlobals(streams)
	return root
}

// NewRootWithGlobals also returns the shared flags, so tests can wrap clients.
func NewRootWithGlobals(streams genericiooptions.IOStreams) (*cobra.Command, *cli.Globals) {
	root, g := cli.NewRoot(PluginName, shootcmd.Short, shootcmd.Long, streams)
	ga := &gardenAccess{g: g}
	ga.addFlags(root)
	root.AddCommand(newConfigCommand(ga), newDoctorCommand(ga), newListCommand(ga), newMachineTypesCommand(ga),
		newCreateCommand(ga), newKubeconfigCommand(ga), newUseCommand(ga), newStatusCommand(ga), newWaitCommand(ga),
		newDeleteCommand(ga))
	root.AddCommand(newLifecycleCommands(ga)...)
	root.AddCommand(newRotateCredentialsCommand(ga), newPoolCommand(ga))
	return root, g
}

// shootName refuses on input a name the Gardener API would refuse (a DNS-1123 label), before
// anything is read or waited on.
func shootName(name string) error { return names.Label("shoot name", name) }
