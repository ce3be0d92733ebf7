package cmd

import (
	"github.com/osc-coco/kubectl-plugins/lib/cli/clitest"
)

// run runs a kubectl coco command line on the fakes of f, in kubectl-coco's own tree (the
// commands coco-helm runs are tested in helmcmd, on the whole tree).
func run(f *clitest.Factory, args ...string) clitest.Result {
	return clitest.Exec(NewRootWithGlobals, f, args...)
}
