// Package cmd builds kubectl-shoot as the plugin binary runs it. Every shoot command talks to
// the garden through Gardener's API packages, whose initialisation Go runs at start-up in any
// binary that links them (issue #29: version and --help paid for it). So the commands are
// entries that shoot-garden, beside kubectl-shoot, runs (lib/cli.Helped; gardencmd builds the
// whole tree); version, completion scripts and the root's help start without Gardener.
package cmd

import (
	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/osc-coco/kubectl-plugins/lib/cli"
	"github.com/osc-coco/kubectl-plugins/lib/garden/fleetflag"
)

// PluginName is how kubectl finds this plugin: kubectl-shoot.
const PluginName = "shoot"

// Helper is the binary beside kubectl-shoot that runs its commands.
const Helper = "shoot-garden"

// The root's help and each command's one-line help, shared with the commands themselves.
const (
	Short = "Gardener access: garden config, gardenlogin checks, shoots, machine types, create, kubeconfig, use, wait, delete"
	Long  = `Talks to the garden cluster named in the garden config (~/.garden/gardenctl-v2.yaml, shared
with gardenctl and gardenlogin): lists shoots and machine types, creates and deletes shoots and
follows their progress, and writes the gardenlogin kubeconfig of a shoot.

The garden is the one in the garden config (--garden picks one when there are several); an
explicit --kubeconfig/--context talks to that cluster instead. Your KUBECONFIG variable is not
used for the garden, because after 'kubectl shoot use' it points at a shoot.

Exit codes: 0 ok, 1 failed or not ready, 2 bad usage, 130 interrupted.`
	ProjectUsage      = "Gardener project (default: from the garden kubeconfig's namespace, or the only project you can see)"
	ConfigShort       = "Read and edit the garden config shared with gardenctl and gardenlogin"
	DoctorShort       = "Check gardenlogin, kubelogin, the garden config and kubeconfig, and that the garden answers"
	ListShort         = "List the shoots of a project (-A: of every project you can see)"
	MachineTypesShort = "List the machine types of the project's cloud profile (name, CPU, GPU, memory, storage, architecture)"
	CreateShort       = "Create an OpenStack shoot, checked against the cloud profile first"
	KubeconfigShort   = "Write a shoot's gardenlogin kubeconfig (or, with --admin, a short-lived admin kubeconfig)"
	UseShort          = "Make sure the shoot's kubeconfig exists and print the line that sets KUBECONFIG"
	StatusShort       = "Show a shoot's last operation, progress, conditions and last errors"
	WaitShort         = "Wait until a shoot is reconciled (its last operation succeeded) or deleted"
	DeleteShort       = "Delete a shoot (asks you to type its name, or --yes)"
	RotateCredsShort  = "Rotate a shoot's credentials in Gardener's two steps (start, then complete once clients use the new ones)"
	PoolShort         = "List, add, scale and delete a shoot's worker pools"
)

// The aliases of list and machine-types.
var (
	ListAliases         = []string{"ls"}
	MachineTypesAliases = []string{"mt"}
)

// LifecycleShort is the one-line help of each lifecycle verb (plugins/shoot/lifecycle.Verbs), in
// help order.
var LifecycleShort = []struct{ Verb, Short string }{
	{"hibernate", "Hibernate a shoot: Gardener scales its workers and control plane to zero (spec.hibernation.enabled)"},
	{"wake-up", "Wake a hibernated shoot up (spec.hibernation.enabled=false)"},
	{"reconcile", "Ask Gardener to reconcile a shoot now (gardener.cloud/operation=reconcile)"},
	{"retry", "Retry a shoot whose last operation failed (gardener.cloud/operation=retry)"},
	{"maintain", "Run the shoot's maintenance now, outside its time window (gardener.cloud/operation=maintain)"},
}

// NewRoot builds "kubectl shoot" as kubectl-shoot runs it.
func NewRoot(streams genericiooptions.IOStreams) *cobra.Command {
	root, _ := cli.NewRoot(PluginName, Short, Long, streams)
	// the garden flags, for parsing and help; shoot-garden binds them
	var garden, configFile, project string
	fs := root.PersistentFlags()
	fleetflag.DeclareGarden(fs, &garden, &configFile)
	fs.StringVarP(&project, "project", "p", "", ProjectUsage)
	// a command line with them and no command (completing --garden or -p before one) is
	// shoot-garden's too: it knows the gardens and the projects
	cli.HelpedWhen(root, Helper, "garden", "project")
	helped := func(name, short string, aliases ...string) *cobra.Command { // cobra finds a command by its aliases too
		c := cli.Helped(Helper, name, short)
		c.Aliases = aliases
		return c
	}
	root.AddCommand(helped("config", ConfigShort), helped("doctor", DoctorShort), helped("list", ListShort, ListAliases...),
		helped("machine-types", MachineTypesShort, MachineTypesAliases...), helped("create", CreateShort),
		helped("kubeconfig", KubeconfigShort), helped("use", UseShort), helped("status", StatusShort),
		helped("wait", WaitShort), helped("delete", DeleteShort))
	for _, v := range LifecycleShort {
		root.AddCommand(helped(v.Verb, v.Short))
	}
	root.AddCommand(helped("rotate-credentials", RotateCredsShort), helped("pool", PoolShort))
	return root
}
