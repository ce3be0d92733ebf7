// Package repo finds this repository's files for tests and test helpers, whether or not they
// were built with -trimpath (which takes source file paths out of a binary: runtime.Caller then
// names a package path, not a file on disk).
package repo

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
)

// Root is the repository's root: the nearest directory above the working directory whose go.mod
// is this module's (a nested module, such as hack/controlplane, is passed over).
func Root() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if b, err := os.ReadFile(filepath.Join(dir, "go.mod")); err == nil && ours(b) {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("no github.com/osc-coco/kubectl-plugins go.mod above the working directory")
		}
		dir = parent
	}
}

// Path is a path inside the repository; it panics outside it (tests and test helpers only run
// inside it).
func Path(elem ...string) string {
	root, err := Root()
	if err != nil {
		panic(err)
	}
	return filepath.Join(append([]string{root}, elem...)...)
}

func ours(goMod []byte) bool {
	line := []byte("module github.com/osc-coco/kubectl-plugins\n")
	return bytes.HasPrefix(goMod, line) || bytes.Contains(goMod, append([]byte("\n"), line...))
}
