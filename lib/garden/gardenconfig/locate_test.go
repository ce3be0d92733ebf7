package gardenconfig

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

type fakeEnv struct {
	home, cwd string
	vars      map[string]string
}

func newEnv(t *testing.T) *fakeEnv {
	return &fakeEnv{home: t.TempDir(), cwd: t.TempDir(), vars: map[string]string{}}
}

func (f *fakeEnv) env() Env {
	return Env{Getenv: func(k string) string { return f.vars[k] }, Home: f.home, Cwd: f.cwd}
}

func touch(t *testing.T, path string) string {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte("gardens: []\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// gardenctl-v2 pkg/cmd/cmd.go initConfig.
func TestLocateAsGardenctl(t *testing.T) {
	f := newEnv(t)
	garden := filepath.Join(f.home, ".garden")
	if l := Locate("", f.env()); l.Path != filepath.Join(garden, "gardenctl-v2.yaml") || l.Dir != garden || l.Exists {
		t.Fatalf("default %+v", l)
	}
	alt := t.TempDir()
	f.vars[EnvHome] = alt
	f.vars[EnvConfigName] = "custom"
	if l := Locate("", f.env()); l.Path != filepath.Join(alt, "custom.yaml") || l.Dir != alt {
		t.Fatalf("GCTL_HOME without file: a new file is $GCTL_HOME/custom.yaml: %+v", l)
	}
	// ~/.garden is the second search directory.
	touch(t, filepath.Join(garden, "custom.yaml"))
	if l := Locate("", f.env()); l.Path != filepath.Join(garden, "custom.yaml") || !l.Exists || l.Dir != alt {
		t.Fatalf("secondary path: %+v", l)
	}
	// viper tries json before yaml in each directory, and a directory before the next.
	touch(t, filepath.Join(garden, "custom.json"))
	if l := Locate("", f.env()); l.Path != filepath.Join(garden, "custom.json") {
		t.Fatalf("viper's extension order: %+v", l)
	}
	touch(t, filepath.Join(alt, "custom.yml"))
	if l := Locate("", f.env()); l.Path != filepath.Join(alt, "custom.yml") {
		t.Fatalf("GCTL_HOME first: %+v", l)
	}
	// The name has no extension: "custom.yaml" is looked for as custom.yaml.<ext>.
	f.vars[EnvConfigName] = "custom.yaml"
	if l := Locate("", f.env()); l.Path != filepath.Join(alt, "custom.yaml.yaml") || l.Exists {
		t.Fatalf("a name with extension: %+v", l)
	}
	f.vars[EnvHome] = "~/alt"
	if l := Locate("~/x.yaml", f.env()); l.Path != filepath.Join(f.home, "x.yaml") || l.Dir != filepath.Join(f.home, "alt") {
		t.Fatalf("explicit: %+v", l)
	}
	if l := Locate("rel.yaml", f.env()); l.Path != filepath.Join(f.cwd, "rel.yaml") {
		t.Fatalf("relative explicit: %+v", l)
	}
}

// gardenlogin cmd/root.go initConfig and readInConfig.
func TestGardenloginFile(t *testing.T) {
	for _, tc := range []struct {
		name  string
		vars  map[string]string
		files []string // relative to home; "GCTL/", "GL/" prefixes name those homes
		want  string
	}{
		{name: "nothing", want: ""},
		{name: "gardenctl's file", files: []string{".garden/gardenctl-v2.yaml"}, want: ".garden/gardenctl-v2.yaml"},
		{name: "gardenlogin.yaml first", files: []string{".garden/gardenctl-v2.yaml", ".garden/gardenlogin.yaml"}, want: ".garden/gardenlogin.yaml"},
		{name: "GL_HOME first", vars: map[string]string{"GL_HOME": "GL"}, files: []string{".garden/gardenlogin.yaml", "GL/gardenlogin.yml"}, want: "GL/gardenlogin.yml"},
		{name: "GL_CONFIG_NAME", vars: map[string]string{"GL_CONFIG_NAME": "mine"}, files: []string{".garden/gardenlogin.yaml", ".garden/mine.yaml"}, want: ".garden/mine.yaml"},
		{name: "GCTL_HOME after ~/.garden", vars: map[string]string{"GCTL_HOME": "GCTL"}, files: []string{".garden/gardenctl-v2.yaml", "GCTL/gardenctl-v2.yaml"}, want: ".garden/gardenctl-v2.yaml"},
		{name: "GCTL_HOME alone", vars: map[string]string{"GCTL_HOME": "GCTL"}, files: []string{"GCTL/gardenctl-v2.yaml"}, want: "GCTL/gardenctl-v2.yaml"},
		{name: "gardenctl's name in GL_HOME", vars: map[string]string{"GL_HOME": "GL", "GCTL_HOME": "GCTL"}, files: []string{"GCTL/gardenctl-v2.yaml", "GL/gardenctl-v2.yaml"}, want: "GL/gardenctl-v2.yaml"},
		{name: "GCTL_CONFIG_NAME", vars: map[string]string{"GCTL_CONFIG_NAME": "custom"}, files: []string{".garden/gardenctl-v2.yaml", ".garden/custom.yaml"}, want: ".garden/custom.yaml"},
		{name: "GL_HOME with ~", vars: map[string]string{"GL_HOME": "~/gl"}, files: []string{"gl/gardenlogin.yaml"}, want: "gl/gardenlogin.yaml"},
		{name: "GL_HOME with $HOME", vars: map[string]string{"GL_HOME": "$HOME/gl"}, files: []string{"gl/gardenlogin.yaml"}, want: "gl/gardenlogin.yaml"},
	} {
		f := newEnv(t)
		resolve := func(p string) string {
			switch {
			case strings.HasPrefix(p, "GL"), strings.HasPrefix(p, "GCTL"):
				return filepath.Join(f.cwd, "homes", p)
			}
			return filepath.Join(f.home, p)
		}
		for k, v := range tc.vars {
			if v == "GL" || v == "GCTL" {
				v = resolve(v)
			}
			f.vars[k] = v
		}
		f.vars["HOME"] = f.home
		for _, p := range tc.files {
			touch(t, resolve(p))
		}
		want := ""
		if tc.want != "" {
			want = resolve(tc.want)
		}
		if got := GardenloginFile(f.env()); got != want {
			t.Errorf("%s: gardenlogin reads %q, want %q", tc.name, got, want)
		}
	}
}

func TestPathProblem(t *testing.T) {
	for p, want := range map[string]string{
		"/home/u/.garden/k.yaml":       "",
		"~/.garden/k.yaml":             "",
		"$HOME/.garden/k.yaml":         "$HOME",
		"${HOME}/.garden/k.yaml":       "${HOME}",
		`%USERPROFILE%\.garden\k.yaml`: "%USERPROFILE%",
		"kubeconfig.yaml":              "relative",
		"":                             "no kubeconfig",
	} {
		got := PathProblem(p)
		if (want == "") != (got == "") || !strings.Contains(got, want) {
			t.Errorf("%q: %q", p, got)
		}
	}
	if ExpandTilde("~/.garden/k", "/h") != "/h/.garden/k" || ExpandTilde("$HOME/k", "/h") != "$HOME/k" {
		t.Fatal("expand")
	}
}
