package gardenconfig

import (
	"strings"
	"testing"
)

// Names as gardenctl-v2 config.ValidateGardenName and gardenlogin ValidateGardenClusterIdentity
// take them.
func TestValidateName(t *testing.T) {
	for name, want := range map[string]string{
		"fg1":       "",
		"osc-prod":  "",
		"osc_prod2": "",
		"A":         "",
		"my.garden": "only letters, digits",
		"my garden": "only letters, digits",
		"gärten":    "only letters, digits",
		"-fg1":      "start and end",
		"fg1_":      "start and end",
		"":          "empty",
	} {
		err := ValidateName(name)
		if (want == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), want)) {
			t.Errorf("%q: %v (want %q)", name, err, want)
		}
	}
	if s := suggestName("my.garden"); s != "my-garden" || ValidateName(s) != nil {
		t.Fatalf("suggestion %q", s)
	}
}

// What gardenctl refuses the whole file for is a problem; what it warns about, a warning; what
// it accepts silently, neither.
func TestRulesOfAFile(t *testing.T) {
	for _, tc := range []struct {
		name, in           string
		problems, warnings []string
	}{
		{name: "alias equal to identity", in: "gardens:\n- identity: fg1\n  name: fg1\n  kubeconfig: /k\n"},
		{name: "gardenctl writes no alias", in: "gardens:\n- identity: fg1\n  kubeconfig: /k\n"},
		{name: "shared alias", in: "gardens:\n- identity: a\n  name: osc\n  kubeconfig: /k\n- identity: b\n  name: osc\n  kubeconfig: /k\n",
			warnings: []string{`line 5: "osc" names gardens[0] and gardens[1]`}},
		{name: "alias equal to another identity", in: "gardens:\n- identity: a\n  kubeconfig: /k\n- identity: b\n  name: a\n  kubeconfig: /k\n",
			warnings: []string{`"a" names gardens[0] and gardens[1]`}},
		{name: "identity twice", in: "gardens:\n- identity: a\n  kubeconfig: /k\n- identity: a\n  kubeconfig: /j\n",
			warnings: []string{`"a" names gardens[0] and gardens[1]`}},
		{name: "dot in identity", in: "gardens:\n- identity: my.garden\n  kubeconfig: /k\n",
			problems: []string{`line 2: garden identity "my.garden" must contain only letters, digits`}},
		{name: "bad alias", in: "gardens:\n- identity: fg1\n  name: _osc\n  kubeconfig: /k\n",
			problems: []string{`alias "_osc" of garden "fg1" must start and end`}},
		{name: "no identity", in: "gardens:\n- kubeconfig: /k\n", problems: []string{"gardens[0] has no identity"}},
		{name: "bad access level", in: "gardens:\n- identity: fg1\n  kubeconfig: /k\n  kubeconfigAccessLevelDefaults:\n    shoots: root\n",
			problems: []string{`kubeconfigAccessLevelDefaults.shoots: access level "root" is not one of admin, viewer, auto`}},
		{name: "access level empty", in: "gardens:\n- identity: fg1\n  kubeconfig: /k\n  kubeconfigAccessLevelDefaults: {}\n"},
	} {
		c, err := Parse([]byte(tc.in))
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		check := func(kind string, got []Finding, want []string) {
			if len(got) != len(want) {
				t.Errorf("%s: %s %v, want %q", tc.name, kind, got, want)
				return
			}
			for i := range want {
				if !strings.Contains(got[i].String(), want[i]) || got[i].Fix == "" {
					t.Errorf("%s: %s %q (fix %q), want %q", tc.name, kind, got[i], got[i].Fix, want[i])
				}
			}
		}
		check("problems", c.Problems, tc.problems)
		check("warnings", c.Warnings, tc.warnings)
	}
}

func TestFindPrefersIdentityThenFirstAlias(t *testing.T) {
	c, err := Parse([]byte("gardens:\n- identity: a\n  name: x\n  kubeconfig: /a\n- identity: x\n  kubeconfig: /x\n- identity: b\n  name: y\n  kubeconfig: /b\n- identity: c\n  name: y\n  kubeconfig: /c\n"))
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]string{"x": "x", "y": "b", "a": "a", "c": "c"} {
		if g, ok := c.Find(name); !ok || g.Identity != want {
			t.Errorf("%s: %+v", name, g)
		}
	}
	if _, ok := c.FindIdentity("y"); ok {
		t.Fatal("gardenlogin does not find gardens by alias")
	}
	if _, ok := c.Find(""); ok {
		t.Fatal("an empty name found a garden")
	}
}

func TestAccessLevelFor(t *testing.T) {
	viewer := &Garden{AccessLevelDefaults: &AccessLevels{Shoots: "viewer", Seeds: "admin"}}
	for _, tc := range []struct {
		flag   *string
		g      *Garden
		seed   bool
		expect string
	}{
		{nil, nil, false, ""},
		{nil, &Garden{}, false, ""},
		{nil, viewer, false, "viewer"},
		{nil, viewer, true, "admin"},
		{ptr("auto"), viewer, false, "auto"},
		{ptr("admin"), viewer, false, "admin"},
		{ptr(""), viewer, false, "viewer"},
	} {
		if got := AccessLevelFor(tc.flag, tc.g, tc.seed); got != tc.expect {
			t.Errorf("%+v: %q, want %q", tc, got, tc.expect)
		}
	}
}
