//go:build windows

package cli

import (
	"errors"
	"os"
	"os/exec"
	"os/signal"

	"github.com/osc-coco/kubectl-plugins/lib/clierr"
)

// runHelper runs the helper as a child with this process's streams (Windows has no exec) and
// exits with its code. Ctrl-C reaches both through the console: the helper handles it, and this
// process waits for it instead of leaving it behind.
func runHelper(path string, args []string) error {
	signal.Ignore(os.Interrupt)
	cmd := exec.Command(path, args...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	err := cmd.Run()
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		return &clierr.Silent{Code: exit.ExitCode()}
	}
	if err != nil {
		return clierr.Failf("check that the file is executable (reinstall the plugin)", "cannot run %s: %v", path, err)
	}
	return nil
}
