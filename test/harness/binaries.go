package harness

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"

	"github.com/osc-coco/kubectl-plugins/test/repo"
)

var (
	binOnce sync.Once
	binDir  string
	binErr  error
)

// RepoRoot finds the repository root (the directory with its go.mod) above the working directory.
func RepoRoot() (string, error) { return repo.Root() }

// Binaries returns the directory with kube-apiserver, kube-controller-manager, kube-scheduler,
// kubelet, etcd and kwok (links to one binary, hack/controlplane) and kubectl, building them with
// hack/testbin.sh when they are missing (cached outside the repository, keyed by its sources). The
// names in extra are kept for callers that ask for one program: every name builds the same.
func Binaries(extra ...string) (string, error) {
	binOnce.Do(func() { binDir, binErr = testbin("all") })
	if binErr != nil {
		return "", binErr
	}
	for _, e := range extra {
		if _, err := testbin(e); err != nil {
			return "", err
		}
	}
	return binDir, nil
}

func testbin(what string) (string, error) {
	if dir := os.Getenv("KUBECTL_COCO_TESTBIN"); dir != "" && what == "all" {
		return dir, nil
	}
	root, err := RepoRoot()
	if err != nil {
		return "", err
	}
	var stdout, stderr bytes.Buffer
	cmd := exec.Command("bash", filepath.Join(root, "hack", "testbin.sh"), what)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("hack/testbin.sh %s: %v\n%s", what, err, stderr.String())
	}
	lines := strings.Split(strings.TrimSpace(stdout.String()), "\n")
	return lines[len(lines)-1], nil
}

// BuildPlugins builds kubectl-<name> for each plugin into dir, as the Makefile does (one go
// build), with the given version linked in, and the helper a plugin ships beside it
// (plugins/<name>/<name>-*: coco-helm, demoingress-helm, teecheck-fleet, shoot-garden;
// lib/cli.Helped).
func BuildPlugins(dir, version string, names ...string) error {
	root, err := RepoRoot()
	if err != nil {
		return err
	}
	final := map[string]string{} // go build's output name: the name it ships as
	var pkgs []string
	for _, p := range names {
		pkgs, final[p] = append(pkgs, "./plugins/"+p), "kubectl-"+p
		helpers, err := filepath.Glob(filepath.Join(root, "plugins", p, p+"-*", "main.go"))
		if err != nil {
			return err
		}
		for _, h := range helpers {
			name := filepath.Base(filepath.Dir(h))
			pkgs, final[name] = append(pkgs, "./plugins/"+p+"/"+name), name
		}
	}
	build, err := os.MkdirTemp(dir, ".build-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(build)
	cmd := exec.Command("go", append([]string{"build", "-trimpath",
		"-ldflags", "-s -w -X github.com/osc-coco/kubectl-plugins/lib/version.Version=" + version, "-o", build + string(filepath.Separator)}, pkgs...)...)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0") // as released: a cgo build starts with 30 MiB more
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("build %v: %v\n%s", names, err, out)
	}
	for built, name := range final {
		if err := os.Rename(filepath.Join(build, built), filepath.Join(dir, name)); err != nil {
			return err
		}
	}
	return nil
}
