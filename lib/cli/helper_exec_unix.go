//go:build !windows

package cli

import (
	"os"
	"syscall"

	"github.com/osc-coco/kubectl-plugins/lib/clierr"
)

// runHelper replaces this process with the helper: signals, exit code and the terminal are
// then the helper's own, as if it had been started directly.
func runHelper(path string, args []string) error {
	argv := append([]string{path}, args...)
	if err := syscall.Exec(path, argv, os.Environ()); err != nil {
		return clierr.Failf("check that the file is executable (reinstall the plugin)", "cannot run %s: %v", path, err)
	}
	return nil // not reached
}
