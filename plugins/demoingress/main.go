// kubectl-demoingress proves that a cluster is reachable from outside: an ingress controller with
// a static IP, the guide's demo app, an end-to-end HTTP check, and clean-up.
package main

import (
	"os"

	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/osc-coco/kubectl-plugins/lib/cli"
	"github.com/osc-coco/kubectl-plugins/plugins/demoingress/cmd"
)

func main() {
	streams := genericiooptions.IOStreams{In: os.Stdin, Out: os.Stdout, ErrOut: os.Stderr}
	os.Exit(cli.Execute(cmd.NewRoot(streams), streams))
}
