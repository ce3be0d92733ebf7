package cmd

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/osc-coco/kubectl-plugins/plugins/coco/cmd/cmdtest"
)

// #27 class 3: -f repeats, takes a comma-separated list and directories (their .yaml, .yml and
// .json files; subdirectories with -R), as kubectl's does.
func TestManifestFlagsAsKubectl(t *testing.T) {
	dir := t.TempDir()
	write := func(rel, name string) string {
		p := filepath.Join(dir, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: "+name+"}\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	a, b := write("a.yaml", "a"), write("b.yml", "b")
	write("app/c.json", "c")
	write("notes.txt", "ignored")
	empty := filepath.Join(dir, "empty")
	if err := os.Mkdir(empty, 0o700); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		m    manifestFlags
		want string // object names in order, or the error
	}{
		{manifestFlags{Files: []string{a, b}}, "a b"},
		{manifestFlags{Files: []string{b, a}}, "b a"},
		{manifestFlags{Files: []string{dir}}, "a b"},
		{manifestFlags{Files: []string{dir}, Recursive: true}, "a c b"}, // lexical order, as kubectl walks
		{manifestFlags{Files: []string{empty}}, "the directory holds no manifest"},
		{manifestFlags{Files: []string{filepath.Join(dir, "nope.yaml")}}, "no such file"},
	} {
		objs, err := c.m.read(strings.NewReader(""))
		var got []string
		for _, o := range objs {
			got = append(got, o.GetName())
		}
		if err != nil {
			got = []string{err.Error()}
		}
		if s := strings.Join(got, " "); !strings.Contains(s, c.want) {
			t.Errorf("%+v: got %q, want %q", c.m, s, c.want)
		}
	}
	// Through the command line, as kubectl's -f (a pflag string slice, read as CSV): repeated, a
	// comma-separated list, and a path holding a comma kept whole by CSV quotes.
	f := cmdtest.OnCluster(cmdtest.SNPCluster())
	for _, args := range [][]string{{"-f", a, "-f", b}, {"-f", a + "," + b}} {
		r := run(f, append([]string{"undeploy", "--dry-run"}, args...)...)
		if r.Code != 0 || !strings.Contains(r.Out, "would delete configmap/a, configmap/b") {
			t.Fatalf("%v: exit %d %q %s", args, r.Code, r.Out, r.Err)
		}
	}
	comma := filepath.Join(dir, "a,b")
	if err := os.Mkdir(comma, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(b, filepath.Join(comma, "b.yml")); err != nil {
		t.Fatal(err)
	}
	for args, want := range map[string]string{`"` + comma + `"`: "would delete configmap/b", comma: "-f splits its value at commas, as kubectl's does, and " + comma + " holds one",
		filepath.Join(dir, "x,y"): "no such file"} {
		r := run(f, "undeploy", "--dry-run", "-f", args)
		if !strings.Contains(r.Out+r.Err, want) {
			t.Errorf("-f %s: exit %d %q %s, want %q", args, r.Code, r.Out, r.Err, want)
		}
	}
}
