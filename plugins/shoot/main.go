// kubectl-shoot gives Gardener access from the terminal: garden config, gardenlogin checks,
// shoots, machine types, create, kubeconfig, use, wait and delete. Its commands run in
// shoot-garden beside it (package cmd says why).
package main

import (
	"github.com/osc-coco/kubectl-plugins/lib/cli"
	"github.com/osc-coco/kubectl-plugins/plugins/shoot/cmd"
)

func main() { cli.Main(cmd.NewRoot) }
