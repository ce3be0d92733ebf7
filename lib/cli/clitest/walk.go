package clitest

import (
	"slices"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/osc-coco/kubectl-plugins/lib/cli"
)

// Leaf is a runnable command of a plugin: its path under the root and placeholder arguments
// for the NAME-style arguments its Use line names.
type Leaf struct {
	Path []string
	Args []string
	Cmd  *cobra.Command
}

// Leaves walks root's runnable commands (help and completion left out).
func Leaves(root *cobra.Command) []Leaf {
	var out []Leaf
	var walk func(c *cobra.Command, path []string)
	walk = func(c *cobra.Command, path []string) {
		for _, sub := range c.Commands() {
			if sub.Hidden || sub.Name() == "help" || sub.Name() == "completion" {
				continue
			}
			p := append(append([]string{}, path...), sub.Name())
			if sub.Runnable() {
				out = append(out, Leaf{Path: p, Args: placeholders(sub.Use), Cmd: sub})
			}
			walk(sub, p)
		}
	}
	walk(root, nil)
	return out
}

// placeholders gives one lower-case argument per required NAME in a Use line ("status NAME").
func placeholders(use string) []string {
	var args []string
	for _, w := range strings.Fields(use)[1:] {
		switch {
		case strings.HasPrefix(w, "-") || strings.HasPrefix(w, "(") || strings.HasPrefix(w, "["):
			return args // flags and optional parts follow
		case w != strings.ToUpper(w):
		case strings.Contains(w, "="):
			args = append(args, "key=value")
		case strings.Contains(w, "/"):
			args = append(args, "a/b/c")
		default:
			args = append(args, "x-"+strings.ToLower(w))
		}
	}
	return args
}

// CheckOutputName runs every command of the plugin that has -o with -o name (#27 class 4): a
// command whose -o help does not list name refuses it as a usage error before it does
// anything; one that lists it never meets a report that names nothing.
func CheckOutputName(t *testing.T, newRoot func(genericiooptions.IOStreams) (*cobra.Command, *cli.Globals), factory func() *Factory) {
	t.Helper()
	root, _ := newRoot(genericiooptions.NewTestIOStreamsDiscard())
	checked := 0
	for _, l := range Leaves(root) {
		f := l.Cmd.Flags().Lookup("output")
		if f == nil || !strings.HasPrefix(f.Usage, "output format") { // kubeconfig's -o is a file
			continue
		}
		checked++
		offered := slices.Contains(strings.FieldsFunc(f.Usage, func(r rune) bool { return r == ',' || r == ' ' || r == ':' }), "name")
		fake := factory()
		r := Exec(newRoot, fake, append(append(append([]string{}, l.Path...), l.Args...), "-o", "name")...)
		switch {
		case strings.Contains(r.Err, "offered for"):
			t.Errorf("%v: -o name offered for a report that names nothing: %s", l.Path, r.Err)
		case !offered && (r.Code != 2 || !strings.Contains(r.Err, `unknown output format "name"`)):
			t.Errorf("%v: -o name is not offered, yet: exit %d %q %s", l.Path, r.Code, r.Out, r.Err)
		case !offered && fake.Kube != nil && len(fake.Kube.Actions()) > 0:
			t.Errorf("%v: the cluster was read before -o name was refused: %v", l.Path, fake.Kube.Actions())
		}
	}
	if checked == 0 {
		t.Fatal("no command with -o")
	}
}
