//go:build cgo

package main

import (
	"fmt"
	"os"
)

// Gardener's test environment pulls a cgo zstd archive that does not link here: the sandbox is
// built without cgo (make demo does).
func main() {
	fmt.Fprintln(os.Stderr, "build the sandbox with CGO_ENABLED=0 (make demo does)")
	os.Exit(2)
}
