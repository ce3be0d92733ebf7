package gardenconfig

import (
	"os"
	"slices"
	"strings"
	"testing"

	sigsyaml "sigs.k8s.io/yaml"
)

func fixture(t testing.TB, name string) []byte {
	t.Helper()
	data, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func ptr[T any](v T) *T { return &v }

// lineDiff returns the lines only in a and only in b (longest common subsequence).
func lineDiff(a, b []byte) (removed, added []string) {
	x, y := strings.Split(string(a), "\n"), strings.Split(string(b), "\n")
	lcs := make([][]int, len(x)+1)
	for i := range lcs {
		lcs[i] = make([]int, len(y)+1)
	}
	for i := len(x) - 1; i >= 0; i-- {
		for j := len(y) - 1; j >= 0; j-- {
			if x[i] == y[j] {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else {
				lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
			}
		}
	}
	i, j := 0, 0
	for i < len(x) && j < len(y) {
		switch {
		case x[i] == y[j]:
			i, j = i+1, j+1
		case lcs[i+1][j] >= lcs[i][j+1]:
			removed, i = append(removed, x[i]), i+1
		default:
			added, j = append(added, y[j]), j+1
		}
	}
	return append(removed, x[i:]...), append(added, y[j:]...)
}

func expectDiff(t *testing.T, before, after []byte, removed, added []string) {
	t.Helper()
	r, a := lineDiff(before, after)
	if !slices.Equal(r, removed) || !slices.Equal(a, added) {
		t.Fatalf("removed %q (want %q), added %q (want %q); file:\n%s", r, removed, a, added, after)
	}
}

func TestGardenctlFixtureIsWhatGardenctlWrites(t *testing.T) {
	data := fixture(t, "gardenctl-written.yaml")
	if !writtenByGardenctl(data) {
		t.Fatal("the fixture is not a fixed point of sigs.k8s.io/yaml, so gardenctl would not write it so")
	}
	if writtenByGardenctl(fixture(t, "hand-written.yaml")) {
		t.Fatal("the hand-written fixture passes for gardenctl's output")
	}
}

func TestReadGardenctlWritten(t *testing.T) {
	c, err := Parse(fixture(t, "gardenctl-written.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Problems) != 0 || len(c.Warnings) != 0 {
		t.Fatalf("an alias equal to its identity is refused or warned about: %v %v", c.Problems, c.Warnings)
	}
	g, ok := c.Find("fg1")
	if !ok || g.Context != "garden-eco" || g.AccessLevelDefaults == nil || g.AccessLevelDefaults.Shoots != "viewer" || len(g.Patterns) != 2 {
		t.Fatalf("fg1: %+v", g)
	}
	ar := g.AccessRestrictions
	if len(ar) != 1 || ar[0].Key != "eu-access-only" || !strings.HasSuffix(ar[0].Msg, "subject to EU data protection rules") ||
		len(ar[0].Options) != 1 || !ar[0].Options[0].NotifyIf {
		t.Fatalf("access restrictions (a folded message reads as one line): %+v", ar)
	}
	if g, ok := c.Find("prod"); !ok || g.Identity != "osc-prod" {
		t.Fatalf("by alias: %+v", g)
	}
}

// Editing a gardenctl-written file changes only the lines of the edit: it is written as gardenctl
// writes it, so the folded message and the key order stay as they are.
func TestEditGardenctlWritten(t *testing.T) {
	before := fixture(t, "gardenctl-written.yaml")
	edit := func(f func(c *Config)) []byte {
		c, err := Parse(before)
		if err != nil {
			t.Fatal(err)
		}
		f(c)
		out, err := c.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	unchanged := edit(func(*Config) {})
	expectDiff(t, before, unchanged, nil, nil)

	out := edit(func(c *Config) { c.SetGarden("fg1", Change{Kubeconfig: ptr("/new/garden.yaml")}) })
	expectDiff(t, before, out, []string{"  kubeconfig: /home/user/.garden/kubeconfig-garden-eco.yaml"}, []string{"  kubeconfig: /new/garden.yaml"})

	out = edit(func(c *Config) {
		c.SetGarden("osc-prod", Change{Context: ptr("prod-ctx"), ShootAccessLevel: ptr("admin")})
	})
	// gardenctl sorts the keys: context now opens the entry.
	expectDiff(t, before, out, []string{"- identity: osc-prod"}, []string{"- context: prod-ctx", "  identity: osc-prod", "  kubeconfigAccessLevelDefaults:", "    shoots: admin"})

	out = edit(func(c *Config) { c.SetGarden("fg1", Change{ShootAccessLevel: ptr("")}) })
	expectDiff(t, before, out, []string{"  kubeconfigAccessLevelDefaults:", "    shoots: viewer"}, nil)

	out = edit(func(c *Config) { c.SetGarden("fg2", Change{Kubeconfig: ptr("/k.yaml"), Alias: ptr("two")}) })
	expectDiff(t, before, out, nil, []string{"- identity: fg2", "  kubeconfig: /k.yaml", "  name: two"})

	out = edit(func(c *Config) { c.DeleteGarden("osc-prod") })
	expectDiff(t, before, out, []string{"- identity: osc-prod", "  kubeconfig: /home/user/.garden/kubeconfig-garden-prod.yaml", "  name: prod"}, nil)
}

// A hand-written file keeps its comments, quoting and key order; only the edited line changes.
func TestEditHandWritten(t *testing.T) {
	before := fixture(t, "hand-written.yaml")
	c, err := Parse(before)
	if err != nil {
		t.Fatal(err)
	}
	out, _ := c.Marshal()
	expectDiff(t, before, out, nil, nil)
	created, changed := c.SetGarden("fg1", Change{Kubeconfig: ptr("/new/garden.yaml"), Context: ptr("garden-eco")})
	if created || !changed {
		t.Fatalf("created %v changed %v", created, changed)
	}
	out, _ = c.Marshal()
	expectDiff(t, before, out, []string{`  kubeconfig: "/home/user/.garden/kubeconfig-garden-eco.yaml"`},
		[]string{`  kubeconfig: "/new/garden.yaml"`, "  context: garden-eco"})
	again, err := Parse(out)
	if err != nil {
		t.Fatal(err)
	}
	if _, changed := again.SetGarden("fg1", Change{Kubeconfig: ptr("/new/garden.yaml"), Alias: ptr("osc")}); changed {
		t.Fatal("setting the same values reported a change")
	}
	if _, changed := again.SetGarden("fg1", Change{Patterns: &[]string{""}}); !changed || len(again.Gardens[0].Patterns) != 0 {
		t.Fatalf("--pattern \"\" clears the patterns, as in gardenctl: %+v", again.Gardens[0])
	}
}

func TestSetGardenOnEmptyAndDelete(t *testing.T) {
	c, err := Parse(nil)
	if err != nil {
		t.Fatal(err)
	}
	if created, _ := c.SetGarden("fg1", Change{Kubeconfig: ptr("/k.yaml")}); !created {
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

func TestParseRejectsWhatCannotBeAConfig(t *testing.T) {
	for name, in := range map[string]string{
		"not yaml":         "gardens: [\n",
		"list at top":      "- identity: a\n",
		"gardens scalar":   "gardens: fg1\n",
		"entry scalar":     "gardens:\n- fg1\n",
		"wrong field type": "gardens:\n- identity: a\n  patterns: {x: 1}\n",
	} {
		if _, err := Parse([]byte(in)); err == nil {
			t.Errorf("%s: accepted", name)
		} else if !strings.Contains(err.Error(), "line") && name != "not yaml" && name != "list at top" {
			t.Errorf("%s: error does not name the line: %v", name, err)
		}
	}
}

// sigs.k8s.io/yaml is what gardenctl reads the file with; a type it cannot read must not be
// one this package reads.
func TestFieldTypesAsGardenctl(t *testing.T) {
	in := "gardens:\n- identity: a\n  kubeconfig: /k\n  kubeconfigAccessLevelDefaults: {shoots: viewer}\n  accessRestrictions:\n  - key: k\n    options:\n    - key: o\n      notifyIf: true\n"
	var v map[string]any
	if err := sigsyaml.Unmarshal([]byte(in), &v); err != nil {
		t.Fatal(err)
	}
	if _, err := Parse([]byte(in)); err != nil {
		t.Fatal(err)
	}
}
