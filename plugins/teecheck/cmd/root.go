// Package cmd holds kubectl-teecheck's commands, one file each.
package cmd

import (
	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/osc-coco/kubectl-plugins/lib/cli"
)

// PluginName is how kubectl finds this plugin: kubectl-teecheck.
const PluginName = "teecheck"

// Helper is the binary beside kubectl-teecheck that runs nodes --shoots (Gardener), so that
// every other command line starts without Gardener's packages (lib/cli.HelpedWhen).
const Helper = "teecheck-fleet"

// NewRoot builds "kubectl teecheck" as kubectl-teecheck runs it: nodes --shoots is for
// teecheck-fleet (fleetcmd.NewRoot builds the whole tree).
func NewRoot(streams genericiooptions.IOStreams) *cobra.Command {
	root, _ := NewRootWithGlobals(streams)
	return root
}

// NewRootWithGlobals also returns the shared flags, so tests and benchmarks can wrap clients.
func NewRootWithGlobals(streams genericiooptions.IOStreams) (*cobra.Command, *cli.Globals) {
	root, g := cli.NewRoot(PluginName,
		"Which TEE each node has, and whether it is ready for Confidential Containers",
		`Shows which trusted execution environment (AMD SEV-SNP, Intel TDX, IBM Secure Execution,
Intel SGX, NVIDIA GPU CC) each node has and whether it meets the prerequisites of
Confidential Containers (CoCo): from node labels, from a short-lived host probe pod (--deep),
or on the machine you sit on (local).

Exit codes: 0 ready, 1 not ready or failed, 2 bad usage, 130 interrupted.`, streams)
	root.AddCommand(newNodesCommand(g), newNodeCommand(g), newLocalCommand(g))
	return root, g
}
