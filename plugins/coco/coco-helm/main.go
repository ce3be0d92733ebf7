// coco-helm runs the kubectl coco commands that need the Helm SDK (install, status, uninstall,
// trustee install/status/uninstall, attest); kubectl-coco hands it their command lines. It
// ships beside kubectl-coco and, run by itself, is the whole of kubectl coco.
package main

import (
	"github.com/osc-coco/kubectl-plugins/lib/cli"
	"github.com/osc-coco/kubectl-plugins/plugins/coco/cmd/helmcmd"
)

func main() { cli.Main(helmcmd.NewRoot) }
