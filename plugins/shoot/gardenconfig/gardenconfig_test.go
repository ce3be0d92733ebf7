package gardenconfig

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const withUnknown = `# my gardens
linkKubeconfig: true
gardens:
- identity: fg1
  name: osc # alias
  kubeconfig: /home/u/.garden/kubeconfig-garden-eco.yaml
  patterns:
  - ^(?P<shoot>[^/]+)$
  accessRestrictions:
  - key: seedSelector
    notifyIf: true
    msg: production
  kubeconfigAccessLevelDefaults: {shoot: viewer}
- identity: other
  kubeconfig: /tmp/other.yaml
provider:
  openstack:
    allowedPatterns:
    - field: authURL
      host: keystone.example
futureField: {keep: me}
`

func TestRoundTripKeepsUnknownFields(t *testing.T) {
	c, err := Parse([]byte(withUnknown))
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Gardens) != 2 || c.Gardens[0].Name != "osc" || c.Gardens[0].Patterns[0] != "^(?P<shoot>[^/]+)$" {
		t.Fatalf("gardens %+v", c.Gardens)
	}
	out, err := c.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if string(out) != withUnknown {
		t.Fatalf("unchanged config not byte-identical:\n%s", out)
	}
	created, changed := c.SetGarden(Garden{Identity: "fg1", Kubeconfig: "/new/garden.yaml", Context: "garden-eco"})
	if created || !changed {
		t.Fatalf("created %v changed %v", created, changed)
	}
	out, _ = c.Marshal()
	for _, keep := range []string{"# my gardens", "linkKubeconfig: true", "name: osc # alias", "accessRestrictions:", "notifyIf: true",
		"kubeconfigAccessLevelDefaults: {shoot: viewer}", "allowedPatterns:", "host: keystone.example", "futureField: {keep: me}", "identity: other"} {
		if !strings.Contains(string(out), keep) {
			t.Errorf("lost %q:\n%s", keep, out)
		}
	}
	again, err := Parse(out)
	if err != nil {
		t.Fatal(err)
	}
	g, ok := again.Find("osc")
	if !ok || g.Kubeconfig != "/new/garden.yaml" || g.Context != "garden-eco" {
		t.Fatalf("updated garden %+v", g)
	}
	if _, changed := again.SetGarden(Garden{Identity: "fg1", Kubeconfig: "/new/garden.yaml"}); changed {
		t.Fatal("setting the same values reported a change")
	}
}

func TestSetGardenOnEmptyAndDelete(t *testing.T) {
	c, err := Parse(nil)
	if err != nil {
		t.Fatal(err)
	}
	if created, _ := c.SetGarden(Garden{Identity: "fg1", Kubeconfig: "/k.yaml"}); !created {
		t.Fatal("not created")
	}
	out, _ := c.Marshal()
	if string(out) != "gardens:\n- identity: fg1\n  kubeconfig: /k.yaml\n" {
		t.Fatalf("new config:\n%s", out)
	}
	if !c.DeleteGarden("fg1") || c.DeleteGarden("fg1") || len(c.Gardens) != 0 {
		t.Fatal("delete")
	}
}

func TestParseRejects(t *testing.T) {
	for name, in := range map[string]string{
		"not yaml":         "gardens: [\n",
		"list at top":      "- identity: a\n",
		"gardens scalar":   "gardens: fg1\n",
		"entry scalar":     "gardens:\n- fg1\n",
		"no identity":      "gardens:\n- kubeconfig: /k\n",
		"duplicate":        "gardens:\n- identity: a\n- identity: b\n  name: a\n",
		"wrong field type": "gardens:\n- identity: a\n  patterns: {x: 1}\n",
	} {
		if _, err := Parse([]byte(in)); err == nil {
			t.Errorf("%s: accepted", name)
		} else if !strings.Contains(err.Error(), "line") && name != "not yaml" && name != "list at top" {
			t.Errorf("%s: error does not name the line: %v", name, err)
		}
	}
}

func TestLocate(t *testing.T) {
	home := t.TempDir()
	alt := t.TempDir()
	env := map[string]string{}
	get := func(k string) string { return env[k] }
	if l := Locate("", get, home); l.Path != filepath.Join(home, ".garden", "gardenctl-v2.yaml") || l.Dir != filepath.Join(home, ".garden") {
		t.Fatalf("default %+v", l)
	}
	env[EnvHome] = alt
	env[EnvConfigName] = "myconfig"
	if l := Locate("", get, home); l.Path != filepath.Join(alt, "myconfig.yaml") {
		t.Fatalf("GCTL_HOME without file: %+v", l)
	}
	// An existing file in ~/.garden is found when GCTL_HOME has none (secondary search path).
	_ = os.MkdirAll(filepath.Join(home, ".garden"), 0o700)
	_ = os.WriteFile(filepath.Join(home, ".garden", "myconfig.yaml"), nil, 0o600)
	if l := Locate("", get, home); l.Path != filepath.Join(home, ".garden", "myconfig.yaml") {
		t.Fatalf("secondary path: %+v", l)
	}
	env[EnvHome] = "~/alt"
	if l := Locate("~/x.yaml", get, home); l.Path != filepath.Join(home, "x.yaml") || l.Dir != filepath.Join(home, "alt") {
		t.Fatalf("explicit: %+v", l)
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
