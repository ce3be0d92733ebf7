// kubectl-demoingress proves that a cluster is reachable from outside: an ingress controller with
// a static IP, the guide's demo app, an end-to-end HTTP check, and clean-up.
package main

import (
	"github.com/osc-coco/kubectl-plugins/lib/cli"
	"github.com/osc-coco/kubectl-plugins/plugins/demoingress/cmd"
)

func main() { cli.Main(cmd.NewRoot) }
