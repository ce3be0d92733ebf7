// teecheck-fleet runs kubectl teecheck nodes --shoots (the nodes of each shoot of a Gardener
// project); kubectl-teecheck hands it the command lines that give its flags. It ships beside
// kubectl-teecheck and, run by itself, is the whole of kubectl teecheck.
package main

import (
	"github.com/osc-coco/kubectl-plugins/lib/cli"
	"github.com/osc-coco/kubectl-plugins/plugins/teecheck/cmd/fleetcmd"
)

func main() { cli.Main(fleetcmd.NewRoot) }
