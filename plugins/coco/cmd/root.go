// Package cmd holds kubectl-coco's commands, one file each.
package cmd

import (
	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/osc-coco/kubectl-plugins/lib/cli"
	"github.com/osc-coco/kubectl-plugins/plugins/coco/cmd/cmdutil"
	"github.com/osc-coco/kubectl-plugins/plugins/coco/cmd/trustee"
)

// PluginName is how kubectl finds this plugin: kubectl-coco.
const PluginName = "coco"

// NewRoot builds "kubectl coco" as kubectl-coco runs it: the commands that need Helm are
// entries that coco-helm runs (helmcmd.NewRoot builds the whole tree).
func NewRoot(streams genericiooptions.IOStreams) *cobra.Command {
	root, _ := NewRootWithGlobals(streams)
	return root
}

// NewRootWithGlobals also returns the shared flags, so tests and benchmarks can wrap clients.
func NewRootWithGlobals(streams genericiooptions.IOStreams) (*cobra.Command, *cli.Globals) {
	root, g := cli.NewRoot(PluginName,
		"Confidential Containers: preflight, install, status, runtime classes, smoke test, uninstall",
		`Checks a cluster against the prerequisites of Confidential Containers (CoCo), labels worker
nodes, shows which runtime classes exist and which nodes can run them, and proves with a pod
that a runtime class really starts a guest VM.

Exit codes: 0 ok, 1 not ready or failed, 2 bad usage, 130 interrupted.`, streams)
	helped := func(name, short string) *cobra.Command { return cli.Helped(cmdutil.Helper, name, short) }
	root.AddCommand(newPreflightCommand(g), newLabelWorkersCommand(g), helped("install", InstallShort), helped("status", StatusShort),
		newRuntimeClassesCommand(g), newSmokeTestCommand(g), helped("uninstall", UninstallShort), newInitdataCommand(g), trustee.NewSecretCommand(g), trustee.NewTrusteeCommand(g), newDeployCommand(g), newUndeployCommand(g), newVerifyCommand(g), helped("attest", AttestShort))
	return root, g
}
