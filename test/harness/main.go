package harness

import (
	"context"
	"fmt"
	"os"
	"testing"
)

// Main is a test package's TestMain body: it starts a control plane into *cp, runs setup (its
// context lives until the tests end, for stand-ins), runs the tests and stops everything:
//
//	func TestMain(m *testing.M) { os.Exit(harness.Main(m, &cp, setup)) }
func Main(m *testing.M, cp **ControlPlane, setup func(ctx context.Context, cp *ControlPlane) error) int {
	c, err := Start(Options{})
	if err != nil {
		fmt.Fprintln(os.Stderr, "control plane:", err)
		return 1
	}
	*cp = c
	defer func() {
		if err := c.Cleanup(); err != nil {
			fmt.Fprintln(os.Stderr, "stop:", err)
		}
	}()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if setup != nil {
		if err := setup(ctx, c); err != nil {
			fmt.Fprintln(os.Stderr, "setup:", err)
			return 1
		}
	}
	return m.Run()
}
