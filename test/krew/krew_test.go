// Package krew builds the release archives and Krew manifests with goreleaser (a snapshot for
// this machine's platform), validates every manifest with Krew's own validator, installs each
// plugin with the real krew into a temporary KREW_ROOT (from the manifest, and once through a
// custom index in a local git repository), and runs it through kubectl's plugin discovery.
package krew

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"sigs.k8s.io/yaml"

	"github.com/osc-coco/kubectl-plugins/test/harness"
)

var plugins = []string{"teecheck", "coco", "shoot", "demoingress"}

// helped is, per plugin with a helper beside it (lib/cli.Helped), a command line the helper runs
// and what only the helper answers: the real help (the plugin's own entry knows only the
// command's name), or the fleet's refusal of --parallel 0 (exit 2; without the helper: exit 1,
// "missing beside").
var helped = map[string]struct {
	args []string
	code int
	want string
}{
	"coco":        {[]string{"install", "--help"}, 0, "--method"},
	"demoingress": {[]string{"install", "--help"}, 0, "--controller"},
	"teecheck":    {[]string{"nodes", "--shoots", "all", "--parallel", "0"}, 2, "--parallel must be at least 1"},
	"shoot":       {[]string{"create", "--help"}, 0, "--machine-type"},
}

const snapshotTag = "v0.0.0" // goreleaser's tag in a snapshot of a repository without tags

func tool(t *testing.T, root, name string) string {
	t.Helper()
	out, err := exec.Command("bash", filepath.Join(root, "hack", "tools.sh"), name).Output()
	if err != nil {
		t.Fatalf("hack/tools.sh %s: %v", name, err)
	}
	return strings.TrimSpace(string(out))
}

func runCmd(t *testing.T, dir string, env []string, name string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s %v: %v\n%s\n%s", name, args, err, out.String(), errOut.String())
	}
	return out.String()
}

// snapshot runs goreleaser on .goreleaser.yaml narrowed to this platform.
func snapshot(t *testing.T, root, tools string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(root, ".goreleaser.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var cfg map[string]any
	if err := yaml.Unmarshal(data, &cfg); err != nil {
		t.Fatal(err)
	}
	// Under the repository, as the release's own dist/ (gitignored): goreleaser finds archive
	// files (coco-helm's) only by paths under its working directory; the archives' file paths
	// name dist/, so they are pointed at this run's.
	relDist := fmt.Sprintf("dist/krew-test-%d", os.Getpid())
	dist := filepath.Join(root, relDist)
	t.Cleanup(func() {
		if err := os.RemoveAll(dist); err != nil {
			t.Errorf("removing this run's dist: %v", err)
		}
	})
	cfg["dist"] = relDist
	for _, a := range cfg["archives"].([]any) {
		for _, f := range a.(map[string]any)["files"].([]any) {
			if m, ok := f.(map[string]any); ok {
				if src, _ := m["src"].(string); strings.HasPrefix(src, "dist/") {
					m["src"] = relDist + strings.TrimPrefix(src, "dist")
				}
			}
		}
	}
	for _, b := range cfg["builds"].([]any) {
		m := b.(map[string]any)
		m["goos"], m["goarch"] = []string{runtime.GOOS}, []string{runtime.GOARCH}
		delete(m, "ignore")
	}
	out, _ := yaml.Marshal(cfg)
	cfgPath := filepath.Join(t.TempDir(), "goreleaser-ci.yaml")
	if err := os.WriteFile(cfgPath, out, 0o600); err != nil {
		t.Fatal(err)
	}
	runCmd(t, root, nil, filepath.Join(tools, "goreleaser"), "check", "--config", filepath.Join(root, ".goreleaser.yaml"))
	runCmd(t, root, []string{"GOFLAGS=-buildvcs=false"}, filepath.Join(tools, "goreleaser"), "release", "--snapshot", "--clean", "--skip=publish", "--config", cfgPath)
	return dist
}

func TestKrewInstallsEveryPlugin(t *testing.T) {
	root, err := harness.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	tools := tool(t, root, "krew")
	tool(t, root, "goreleaser")
	kubectlDir, err := harness.Binaries("kubectl")
	if err != nil {
		t.Fatal(err)
	}
	dist := snapshot(t, root, tools)
	archive := func(p string) string {
		ext := ".tar.gz"
		if runtime.GOOS == "windows" {
			ext = ".zip"
		}
		return filepath.Join(dist, fmt.Sprintf("kubectl-%s_%s_%s_%s%s", p, snapshotTag, runtime.GOOS, runtime.GOARCH, ext))
	}
	krewRoot := t.TempDir()
	env := []string{"KREW_ROOT=" + krewRoot, "KREW_NO_UPGRADE_CHECK=1", "PATH=" + filepath.Join(krewRoot, "bin") + ":" + kubectlDir + ":/usr/bin:/bin"}
	for _, p := range plugins {
		manifest := filepath.Join(dist, "krew", p+".yaml")
		runCmd(t, root, nil, filepath.Join(tools, "validate-krew-manifest"), "-manifest", manifest, "-skip-install")
		var m struct {
			Metadata struct{ Name string }
			Spec     struct {
				Version, ShortDescription, Caveats string
				Platforms                          []struct {
					URI, Sha256, Bin string
				}
			}
		}
		data, _ := os.ReadFile(manifest)
		if err := yaml.Unmarshal(data, &m); err != nil || m.Metadata.Name != p || m.Spec.Version != snapshotTag || m.Spec.Caveats == "" ||
			len(m.Spec.Platforms) != 1 || m.Spec.Platforms[0].Bin != "kubectl-"+p {
			t.Fatalf("%s manifest: %v\n%s", p, err, data)
		}
		runCmd(t, root, env, filepath.Join(tools, "krew"), "install", "--manifest="+manifest, "--archive="+archive(p))
		out := runCmd(t, root, env, filepath.Join(kubectlDir, "kubectl"), p, "version", "-o", "json")
		var v struct{ Plugin, Version string }
		if err := json.Unmarshal([]byte(out), &v); err != nil || v.Version != snapshotTag {
			t.Fatalf("kubectl %s version: %v %s", p, err, out)
		}
		if h, ok := helped[p]; ok { // the helper came with the archive, and the plugin finds it through Krew's link
			cmd := exec.Command(filepath.Join(kubectlDir, "kubectl"), append([]string{p}, h.args...)...)
			cmd.Env = append(os.Environ(), env...)
			out, err := cmd.CombinedOutput()
			code := 0
			if e, ok := err.(*exec.ExitError); ok {
				code = e.ExitCode()
			} else if err != nil {
				t.Fatal(err)
			}
			if code != h.code || !strings.Contains(string(out), h.want) {
				t.Fatalf("kubectl %s %v: exit %d, want %d and %q:\n%s", p, h.args, code, h.code, h.want, out)
			}
		}
	}
	list := runCmd(t, root, env, filepath.Join(kubectlDir, "kubectl"), "plugin", "list", "--name-only")
	for _, p := range plugins {
		if !strings.Contains(list, "kubectl-"+p) {
			t.Errorf("kubectl plugin list misses %s:\n%s", p, list)
		}
	}

	// The custom index, as users add it: a git repository whose root has plugins/<name>.yaml. The
	// release assets are served on loopback in place of GitHub's release download URL.
	release := httptest.NewServer(http.FileServer(http.Dir(dist)))
	defer release.Close()
	index := t.TempDir()
	if err := os.MkdirAll(filepath.Join(index, "plugins"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, p := range plugins {
		data, _ := os.ReadFile(filepath.Join(dist, "krew", p+".yaml"))
		data = []byte(strings.ReplaceAll(string(data), "https://github.com/osc-coco/kubectl-plugins/releases/download/"+snapshotTag, release.URL))
		if err := os.WriteFile(filepath.Join(index, "plugins", p+".yaml"), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	gitEnv := []string{"GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@t", "GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@t"}
	runCmd(t, index, gitEnv, "git", "init", "-q", "-b", "main")
	runCmd(t, index, gitEnv, "git", "add", ".")
	runCmd(t, index, gitEnv, "git", "commit", "-qm", "index")
	krewRoot2 := t.TempDir()
	env2 := []string{"KREW_ROOT=" + krewRoot2, "KREW_NO_UPGRADE_CHECK=1", "PATH=" + filepath.Join(krewRoot2, "bin") + ":" + kubectlDir + ":/usr/bin:/bin"}
	runCmd(t, root, env2, filepath.Join(tools, "krew"), "index", "add", "osc-coco", index)
	runCmd(t, root, env2, filepath.Join(tools, "krew"), "install", "osc-coco/shoot")
	out := runCmd(t, root, env2, filepath.Join(kubectlDir, "kubectl"), "shoot", "version")
	if !strings.Contains(out, snapshotTag) {
		t.Fatalf("kubectl shoot version from the index install: %s", out)
	}
	if got := runCmd(t, root, env2, filepath.Join(tools, "krew"), "list"); !strings.Contains(got, "osc-coco/shoot") {
		t.Fatalf("krew list: %s", got)
	}
}

// TestCommittedIndexIsValid: a manifest committed in krew-index/plugins names a tagged release
// (its sums are of that release's archives), passes Krew's validator, is named after its file,
// and offers every platform Krew supports that the release builds (Krew has no linux/s390x:
// those users take the release archive directly). Untagged, the directory holds none.
func TestCommittedIndexIsValid(t *testing.T) {
	root, err := harness.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	tools := tool(t, root, "krew")
	want := map[string][]string{
		"teecheck":    {"darwin/amd64", "darwin/arm64", "linux/amd64", "linux/arm64", "windows/amd64", "windows/arm64"},
		"coco":        {"darwin/amd64", "darwin/arm64", "linux/amd64", "linux/arm64", "windows/amd64", "windows/arm64"},
		"shoot":       {"darwin/amd64", "darwin/arm64", "linux/amd64", "linux/arm64", "windows/amd64", "windows/arm64"},
		"demoingress": {"darwin/amd64", "darwin/arm64", "linux/amd64", "linux/arm64", "windows/amd64", "windows/arm64"},
	}
	committed := strings.Fields(runCmd(t, root, nil, "git", "ls-files", "krew-index/plugins"))
	tags := strings.Fields(runCmd(t, root, nil, "git", "tag", "--list"))
	if len(tags) == 0 && len(committed) > 0 {
		t.Fatalf("Krew manifests committed without any release tag: %v", committed)
	}
	for _, f := range committed {
		p := strings.TrimSuffix(filepath.Base(f), ".yaml")
		platforms, known := want[p]
		if !known {
			t.Fatalf("%s: not one of the plugins", f)
		}
		path := filepath.Join(root, f)
		runCmd(t, root, nil, filepath.Join(tools, "validate-krew-manifest"), "-manifest", path, "-skip-install")
		data, _ := os.ReadFile(path)
		var m struct {
			Metadata struct{ Name string }
			Spec     struct {
				Version   string
				Platforms []struct {
					Selector struct{ MatchLabels map[string]string } `json:"selector"`
					Sha256   string
				}
			}
		}
		if err := yaml.Unmarshal(data, &m); err != nil || m.Metadata.Name != p || !slices.Contains(tags, m.Spec.Version) {
			t.Fatalf("%s: %v; version %q must be a tag (tags: %v)", p, err, m.Spec.Version, tags)
		}
		var got []string
		for _, pl := range m.Spec.Platforms {
			got = append(got, pl.Selector.MatchLabels["os"]+"/"+pl.Selector.MatchLabels["arch"])
			if len(pl.Sha256) != 64 {
				t.Errorf("%s: sha256 %q", p, pl.Sha256)
			}
		}
		sort.Strings(got)
		if strings.Join(got, " ") != strings.Join(platforms, " ") {
			t.Errorf("%s platforms: %v", p, got)
		}
	}
}
