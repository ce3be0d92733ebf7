// demoingress-helm runs the kubectl demoingress commands that read or drive Helm releases (install,
// audit, migrate, status, delete); kubectl-demoingress hands it their command lines. It
// ships beside kubectl-demoingress and, run by itself, is the whole of kubectl demoingress.
package main

import (
	"github.com/osc-coco/kubectl-plugins/lib/cli"
	"github.com/osc-coco/kubectl-plugins/plugins/demoingress/cmd/helmcmd"
)

func main() { cli.Main(helmcmd.NewRoot) }
