// Package fixtext_test walks every fix and hint the four plugins can print (#27 class 7): each
// "kubectl <plugin> …" command line in the source names subcommands and flags that exist, and
// every --flag in a fix names a flag some command of the collection has.
package fixtext_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/osc-coco/kubectl-plugins/lib/cli"
	"github.com/osc-coco/kubectl-plugins/lib/names"
	coco "github.com/osc-coco/kubectl-plugins/plugins/coco/cmd/helmcmd"
	demoingress "github.com/osc-coco/kubectl-plugins/plugins/demoingress/cmd/helmcmd"
	shoot "github.com/osc-coco/kubectl-plugins/plugins/shoot/cmd/gardencmd"
	teecheck "github.com/osc-coco/kubectl-plugins/plugins/teecheck/cmd/fleetcmd"
)

var roots = map[string]func(genericiooptions.IOStreams) (*cobra.Command, *cli.Globals){
	"coco": coco.NewRootWithGlobals, "demoingress": demoingress.NewRootWithGlobals,
	"shoot": shoot.NewRootWithGlobals, "teecheck": teecheck.NewRootWithGlobals,
}

var (
	commandLine = regexp.MustCompile(`kubectl (coco|teecheck|shoot|demoingress)((?: [a-z][a-z0-9-]*)*)([^;,)"\n]*)`)
	flagName    = regexp.MustCompile(`(?:^|[\s(/'"])--([a-z][a-z0-9-]*)`)
)

// literal is a string constant of the source and where it is.
type literal struct {
	text, pos string
}

func TestFixTextsNameWhatExists(t *testing.T) {
	trees := map[string]*cobra.Command{}
	allFlags := map[string]bool{}
	for name, newRoot := range roots {
		root, _ := newRoot(genericiooptions.NewTestIOStreamsDiscard())
		trees[name] = root
		collectFlags(root, allFlags)
	}
	lits := sourceLiterals(t, "../../lib", "../../plugins")
	checked := 0
	for _, l := range lits {
		for _, m := range commandLine.FindAllStringSubmatch(l.text, -1) {
			checked++
			if err := checkCommandLine(trees[m[1]], m[1], strings.Fields(m[2]), m[3]); err != "" {
				t.Errorf("%s: %q: %s", l.pos, m[0], err)
			}
		}
	}
	for _, l := range fixLiterals(t, "../../lib", "../../plugins") {
		for _, m := range flagName.FindAllStringSubmatch(l.text, -1) {
			if m[1] != "help" && !strings.HasSuffix(m[1], "-") && !allFlags[m[1]] && !kubectlFlag(l.text, m[1]) {
				t.Errorf("%s: fix %q names --%s, which no command has", l.pos, l.text, m[1])
			}
		}
	}
	if checked < 50 {
		t.Fatalf("only %d command lines found: the walk is broken", checked)
	}
}

// checkCommandLine resolves the words under the plugin's root and checks the flags after them.
func checkCommandLine(root *cobra.Command, plugin string, words []string, rest string) string {
	cmd := root
	for _, w := range words {
		sub := find(cmd, w)
		switch {
		case sub != nil:
			cmd = sub
			continue
		case cmd == root && (!strings.Contains(w, "-") || len(names.Suggest(w, subcommandNames(root), 1)) == 0):
			return "" // prose ("kubectl coco does not write ..."); a hyphenated word is a command's name
		case cmd == root || len(cmd.Commands()) > 0 && !cmd.Runnable():
			return cmd.CommandPath() + " has no command " + w
		}
		break // an argument
	}
	for _, m := range flagName.FindAllStringSubmatch(rest, -1) {
		if m[1] != "help" && !strings.HasSuffix(m[1], "-") && cmd.Flag(m[1]) == nil && cmd.InheritedFlags().Lookup(m[1]) == nil {
			return cmd.CommandPath() + " has no flag --" + m[1]
		}
	}
	return ""
}

func subcommandNames(c *cobra.Command) []string {
	var out []string
	for _, s := range c.Commands() {
		out = append(out, s.Name())
	}
	return out
}

func find(c *cobra.Command, name string) *cobra.Command {
	for _, s := range c.Commands() {
		if s.Name() == name || s.HasAlias(name) {
			return s
		}
	}
	return nil
}

func collectFlags(c *cobra.Command, into map[string]bool) {
	c.Flags().VisitAll(func(f *pflag.Flag) { into[f.Name] = true })
	c.PersistentFlags().VisitAll(func(f *pflag.Flag) { into[f.Name] = true })
	for _, s := range c.Commands() {
		collectFlags(s, into)
	}
}

// kubectlFlag: a flag of a kubectl (not plugin) command line in the same text, such as
// "kubectl wait --for=delete" or "kubectl get nodes --show-labels".
func kubectlFlag(text, flag string) bool {
	for _, seg := range strings.Split(text, "kubectl ")[1:] {
		if !commandLine.MatchString("kubectl "+seg) && strings.Contains(seg, "--"+flag) {
			return true
		}
	}
	return false
}

// sourceLiterals are the string constants of the non-test Go files under dirs.
func sourceLiterals(t *testing.T, dirs ...string) []literal {
	var out []literal
	walkFiles(t, dirs, func(fset *token.FileSet, f *ast.File) {
		ast.Inspect(f, func(n ast.Node) bool {
			if b, ok := n.(*ast.BasicLit); ok && b.Kind == token.STRING {
				if s, err := strconv.Unquote(b.Value); err == nil {
					out = append(out, literal{s, fset.Position(b.Pos()).String()})
				}
			}
			return true
		})
	})
	return out
}

// fixLiterals are the string constants given as a fix: the first argument of clierr.Usagef
// and clierr.Failf, and Fix: fields.
func fixLiterals(t *testing.T, dirs ...string) []literal {
	var out []literal
	add := func(fset *token.FileSet, e ast.Expr) {
		ast.Inspect(e, func(n ast.Node) bool {
			if b, ok := n.(*ast.BasicLit); ok && b.Kind == token.STRING {
				if s, err := strconv.Unquote(b.Value); err == nil {
					out = append(out, literal{s, fset.Position(b.Pos()).String()})
				}
			}
			return true
		})
	}
	walkFiles(t, dirs, func(fset *token.FileSet, f *ast.File) {
		ast.Inspect(f, func(n ast.Node) bool {
			switch x := n.(type) {
			case *ast.CallExpr:
				if sel, ok := x.Fun.(*ast.SelectorExpr); ok && (sel.Sel.Name == "Usagef" || sel.Sel.Name == "Failf") && len(x.Args) > 0 {
					add(fset, x.Args[0])
				}
			case *ast.KeyValueExpr:
				if id, ok := x.Key.(*ast.Ident); ok && id.Name == "Fix" {
					add(fset, x.Value)
				}
			}
			return true
		})
	})
	return out
}

func walkFiles(t *testing.T, dirs []string, visit func(*token.FileSet, *ast.File)) {
	t.Helper()
	fset := token.NewFileSet()
	for _, dir := range dirs {
		err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.HasSuffix(p, ".go") || strings.HasSuffix(p, "_test.go") {
				return err
			}
			src, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			f, err := parser.ParseFile(fset, p, src, 0)
			if err != nil {
				return err
			}
			visit(fset, f)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}
