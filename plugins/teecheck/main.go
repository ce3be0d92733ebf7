// kubectl-teecheck tells which TEE each node has and whether it is ready for Confidential Containers.
package main

import (
	"github.com/osc-coco/kubectl-plugins/lib/cli"
	"github.com/osc-coco/kubectl-plugins/plugins/teecheck/cmd"
)

func main() { cli.Main(cmd.NewRoot) }
