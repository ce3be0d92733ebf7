// Package cmd holds kubectl-shoot's commands, one file each.
package cmd

import (
	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/osc-coco/kubectl-plugins/lib/names"

	"github.com/osc-coco/kubectl-plugins/lib/cli"
)

// PluginName is how kubectl finds this plugin: kubectl-shoot.
const PluginName = "shoot"

// NewRoot builds "kubectl shoot".
func NewRoot(streams genericiooptions.IOStreams) *cobra.Command {
	root, _ := NewRootWithGlobals(streams)
	return root
}

// NewRootWithGlobals also returns the shared flags, so tests can wrap clients.
func NewRootWithGlobals(streams genericiooptions.IOStreams) (*cobra.Command, *cli.Globals) {
	root, g := cli.NewRoot(PluginName,
		"Gardener access: garden config, gardenlogin checks, shoots, machine types, create, kubeconfig, use, wait, delete",
		`Talks to the garden cluster named in the garden config (~/.garden/gardenctl-v2.yaml, shared
with gardenctl and gardenlogin): lists shoots and machine types, creates and deletes shoots and
follows their progress, and writes the gardenlogin kubeconfig of a shoot.

The garden is the one in the garden config (--garden picks one when there are several); an
explicit --kubeconfig/--context talks to that cluster instead. Your KUBECONFIG variable is not
used for the garden, because after 'kubectl shoot use' it points at a shoot.

Exit codes: 0 ok, 1 failed or not ready, 2 bad usage, 130 interrupted.`, streams)
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
