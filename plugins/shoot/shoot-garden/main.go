// shoot-garden runs the kubectl shoot commands, which talk to the garden through Gardener's API
// packages; kubectl-shoot hands it their command lines. It ships beside kubectl-shoot and, run
// by itself, is the whole of kubectl shoot.
package main

import (
	"github.com/osc-coco/kubectl-plugins/lib/cli"
	"github.com/osc-coco/kubectl-plugins/plugins/shoot/cmd/gardencmd"
)

func main() { cli.Main(gardencmd.NewRoot) }
