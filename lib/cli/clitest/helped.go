package clitest

import (
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/osc-coco/kubectl-plugins/lib/cli"
)

// TreesAgree checks a plugin against its helper (lib/cli.Helped, HelpedWhen): the plugin hands
// exactly the commands want (paths below the root, "trustee install") to helper, lists each with
// the real command's one-line help and aliases (and, where it declares the command whole, its
// flags), declares the same global flags, and the helper's tree (full) has a real command for
// every one, and no command the plugin does not list.
func TreesAgree(t *testing.T, light, full *cobra.Command, helper string, want ...string) {
	t.Helper()
	helped := cli.HelpedCommands(light)
	var paths []string
	for _, w := range want {
		paths = append(paths, strings.TrimSpace(light.CommandPath()+" "+w)) // "": the root
	}
	slices.Sort(paths)
	if got := slices.Sorted(maps.Keys(helped)); !slices.Equal(got, paths) {
		t.Fatalf("%s hands %v to a helper, want %v", light.CommandPath(), got, paths)
	}
	for path, h := range helped {
		if h != helper {
			t.Errorf("%s: helper %q, want %q", path, h, helper)
		}
	}
	// the root's flags: the plugin parses them to find the command, and lists them in its help
	if l, f := light.PersistentFlags().FlagUsages(), full.PersistentFlags().FlagUsages(); l != f {
		t.Errorf("the plugin's global flags\n%s\nthe helper's\n%s", l, f)
	}
	for _, c := range full.Commands() { // a command the helper gained is listed by the plugin too
		if l, _, err := light.Find([]string{c.Name()}); c.IsAvailableCommand() && (err != nil || l.Name() != c.Name()) {
			t.Errorf("%s has %q, which %s does not list", helper, c.Name(), light.CommandPath())
		}
	}
	if left := cli.HelpedCommands(full); len(left) != 0 {
		t.Fatalf("%s's tree still hands on %v", helper, left)
	}
	for _, entry := range want {
		l, _, err1 := light.Find(strings.Fields(entry))
		f, _, err2 := full.Find(strings.Fields(entry))
		if err1 != nil || err2 != nil {
			t.Fatalf("%s: %v %v", entry, err1, err2)
		}
		if l.Short != f.Short {
			t.Errorf("%s: listed as %q, is %q", entry, l.Short, f.Short)
		}
		if !slices.Equal(l.Aliases, f.Aliases) { // cobra finds a command by its aliases
			t.Errorf("%s: aliases %v, the helper's %v", entry, l.Aliases, f.Aliases)
		}
		// a command the plugin declares whole (HelpedWhen) has the helper's flags, as its help says
		if !l.DisableFlagParsing && l.LocalFlags().FlagUsages() != f.LocalFlags().FlagUsages() {
			t.Errorf("%s: the plugin's flags\n%s\nthe helper's\n%s", entry, l.LocalFlags().FlagUsages(), f.LocalFlags().FlagUsages())
		}
	}
}
