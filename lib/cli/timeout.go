package cli

import (
	"time"

	"github.com/osc-coco/kubectl-plugins/lib/clierr"
)

// CheckTimeout refuses a --timeout that is not positive (a usage error); example is a sensible
// value for the command ("10m").
func CheckTimeout(d time.Duration, example string) error {
	if d <= 0 {
		return clierr.Usagef("e.g. --timeout "+example, "--timeout must be positive, not %s", d)
	}
	return nil
}
