// kubectl-shoot gives Gardener access from the terminal: garden config, gardenlogin checks,
// shoots, machine types, create, kubeconfig, use, wait and delete.
package main

import (
	"os"

	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/osc-coco/kubectl-plugins/lib/cli"
	"github.com/osc-coco/kubectl-plugins/plugins/shoot/cmd"
)

func main() {
	streams := genericiooptions.IOStreams{In: os.Stdin, Out: os.Stdout, ErrOut: os.Stderr}
	os.Exit(cli.Execute(cmd.NewRoot(streams), streams))
}
