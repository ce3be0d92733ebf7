// kubectl-coco checks, installs, proves and removes Confidential Containers.
package main

import (
	"github.com/osc-coco/kubectl-plugins/lib/cli"
	"github.com/osc-coco/kubectl-plugins/plugins/coco/cmd"
)

func main() { cli.Main(cmd.NewRoot) }
