package gardencmd

import (
	"testing"

	"github.com/osc-coco/kubectl-plugins/lib/cli/clitest"
)

// #27 class 4: -o name only where the report names objects.
func TestOutputNameOnlyWhereOffered(t *testing.T) {
	clitest.CheckOutputName(t, NewRootWithGlobals, func() *clitest.Factory { return &clitest.Factory{} })
}
