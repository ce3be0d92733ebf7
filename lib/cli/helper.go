package cli

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/osc-coco/kubectl-plugins/lib/clierr"
)

// A command whose work needs the Helm SDK or Gardener's API packages runs in a helper binary
// that ships beside the plugin (coco-helm beside kubectl-coco): Go runs every linked package's
// init at start-up, and Helm's (its values-schema compiler above all) would otherwise be paid by
// version, --help and every command that never touches a chart (issue #29). The plugin knows
// such a command by its name and one-line help only (Helped), or declares it whole but not what
// some of its flags do (HelpedWhen), and hands the helper the whole command line: help,
// completion and flags are then the helper's own, so there is one definition of each command.

// helperAnnotation marks a command that the named helper binary runs.
const helperAnnotation = "cli.osc-coco.io/helper"

// Helped is the plugin's entry for a command the helper runs: enough for the parent's help to
// list it and for cobra to find it in a command line. short is the real command's Short (use
// the same constant in both).
func Helped(helper, name, short string) *cobra.Command {
	return &cobra.Command{
		Use: name, Short: short, DisableFlagParsing: true,
		Annotations: map[string]string{helperAnnotation: helper},
		RunE: func(c *cobra.Command, _ []string) error {
			// Execute hands such command lines to the helper before cobra sees them.
			return fmt.Errorf("%s runs in %s, not in this binary", displayPath(c), helper)
		},
	}
}

// helperFlagsAnnotation marks a command that the named helper runs when certain flags are given:
// "helper:flag,flag".
const helperFlagsAnnotation = "cli.osc-coco.io/helper-flags"

// HelpedWhen marks cmd, a command of the plugin's own, as run by helper when a command line
// gives one of flags (long names): the plugin declares those flags, for its help and parsing,
// but not what they do (kubectl teecheck nodes --shoots reads shoots through Gardener).
func HelpedWhen(cmd *cobra.Command, helper string, flags ...string) {
	if cmd.Annotations == nil {
		cmd.Annotations = map[string]string{}
	}
	cmd.Annotations[helperFlagsAnnotation] = helper + ":" + strings.Join(flags, ",")
}

func helpedBy(c *cobra.Command) string {
	if h := c.Annotations[helperAnnotation]; h != "" {
		return h
	}
	h, _, _ := strings.Cut(c.Annotations[helperFlagsAnnotation], ":")
	return h
}

// ProvideHelped replaces parent's Helped (or HelpedWhen) command of the same name with the real
// command (in the helper's tree). It panics when there is none: the two trees must agree.
func ProvideHelped(parent, real *cobra.Command) {
	for _, c := range parent.Commands() {
		if c.Name() == real.Name() && helpedBy(c) != "" {
			parent.RemoveCommand(c)
			parent.AddCommand(real)
			return
		}
	}
	panic(fmt.Sprintf("%s has no entry for %q to replace", displayPath(parent), real.Name()))
}

// HelpedCommands lists the command paths in root's tree that a helper runs (always, or with
// some flags), with the helper.
func HelpedCommands(root *cobra.Command) map[string]string {
	out := map[string]string{}
	var walk func(*cobra.Command)
	walk = func(c *cobra.Command) {
		if h := helpedBy(c); h != "" {
			out[c.CommandPath()] = h
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
	return out
}

// helperFor says which helper runs a command line (args without the program name), or "".
// Help for such a command ("help install", "install --help") and its completion
// ("__complete install ...") are the helper's too.
func helperFor(root *cobra.Command, args []string) string {
	if len(args) > 0 && (args[0] == cobra.ShellCompRequestCmd || args[0] == cobra.ShellCompNoDescRequestCmd) {
		args = args[1:]
	}
	root.InitDefaultHelpCmd() // cobra adds "help" when it executes: Find must know it now
	c, rest, err := root.Find(args)
	if err == nil && c != nil && c.Parent() == root && c.Name() == "help" { // help X is X's helper's
		c, rest, err = root.Find(rest)
	}
	if err != nil || c == nil {
		return ""
	}
	if h := c.Annotations[helperAnnotation]; h != "" {
		return h
	}
	if spec := c.Annotations[helperFlagsAnnotation]; spec != "" {
		h, names, _ := strings.Cut(spec, ":")
		if givesFlag(c, rest, strings.Split(names, ",")) {
			return h
		}
	}
	return ""
}

// givesFlag says whether args (a command line after the command's name) give one of the
// command's flags names, long (--shoots, --shoots=all) or short (-p, -wp, -peco), as pflag
// reads them: the word after a flag that takes a value is that value (-l --shoots).
func givesFlag(c *cobra.Command, args, names []string) bool {
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--":
			return false
		case strings.HasPrefix(a, "--"):
			name, _, inline := strings.Cut(a[2:], "=")
			if slices.Contains(names, name) {
				return true
			}
			if f := c.Flags().Lookup(name); f != nil && f.NoOptDefVal == "" && !inline {
				i++ // its value
			}
		case strings.HasPrefix(a, "-"):
			for j := 1; j < len(a); j++ {
				f := c.Flags().ShorthandLookup(a[j : j+1])
				if f == nil {
					break
				}
				if slices.Contains(names, f.Name) {
					return true
				}
				if f.NoOptDefVal == "" { // takes a value: the rest of the word, or the next word
					if j == len(a)-1 {
						i++
					}
					break
				}
			}
		}
	}
	return false
}

// helperPath is the helper beside this executable (links resolved: Krew links the plugin from
// its store, where the helper is unpacked with it).
func helperPath(helper string) (string, error) {
	exe, err := os.Executable()
	if err == nil {
		exe, err = filepath.EvalSymlinks(exe)
	}
	if err != nil {
		return "", clierr.Failf("run the plugin by its path, or reinstall it", "cannot tell where this plugin is installed, to find %s beside it: %v", helper, err)
	}
	if runtime.GOOS == "windows" {
		helper += ".exe"
	}
	path := filepath.Join(filepath.Dir(exe), helper)
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		plugin := strings.TrimSuffix(filepath.Base(exe), ".exe")
		name := strings.TrimPrefix(plugin, "kubectl-")
		return "", clierr.Failf(fmt.Sprintf("install the whole release archive (kubectl krew uninstall %s && kubectl krew install %s, or unpack the archive's files into one directory; from source: make build install)", name, name),
			"this command runs in %s, which is missing beside %s (in %s)", helper, plugin, filepath.Dir(exe))
	} else if err != nil {
		return "", clierr.Failf("check the plugin's installation directory", "cannot run %s: %v", path, err)
	}
	return path, nil
}

// forwardToHelper runs the command line in the helper and returns the exit code.
func forwardToHelper(helper string, args []string, streams genericiooptions.IOStreams) int {
	path, err := helperPath(helper)
	if err == nil {
		err = runHelper(path, args)
	}
	clierr.Print(streams.ErrOut, err)
	return clierr.ExitCode(err)
}
