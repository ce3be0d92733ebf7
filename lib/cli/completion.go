package cli

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"

	"github.com/spf13/cobra"

	"github.com/osc-coco/kubectl-plugins/lib/clierr"
)

// CompletionOptions set up "kubectl <plugin> …" completion. A plugin does not complete as a
// command of its own: kubectl (1.26+) completes "kubectl <plugin> <TAB>" by running
// kubectl_complete-<plugin> from PATH (kubectl's plugin completion, KEP 3108), and kubectl's
// own "kubectl completion bash|zsh|fish|powershell" script does the rest. So this command
// prints that executable, or with --install links it next to the plugin.
type CompletionOptions struct {
	g       *Globals
	Install bool
	Dir     string
	shell   string
}

var completionShells = []string{"bash", "zsh", "fish", "powershell"}

func newCompletionCommand(g *Globals) *cobra.Command {
	o := &CompletionOptions{g: g}
	cmd := &cobra.Command{
		Use:   "completion [--install [--dir DIR]]",
		Short: "Complete 'kubectl " + g.Plugin + " …' in your shell, through kubectl's own completion",
		Long: fmt.Sprintf(`kubectl (1.26+) completes plugin arguments by running %[1]s%[2]s from PATH; kubectl's
own completion script (source <(kubectl completion bash), or zsh, fish, powershell) does the rest.
'make install' links %[1]s%[2]s; a krew install does not (krew#812): run
  kubectl %[2]s completion --install
to link it next to kubectl-%[2]s, or save what this command prints as an executable %[1]s%[2]s on PATH.`,
			CompletionPrefix, g.Plugin),
		Args:      cobra.MaximumNArgs(1),
		ValidArgs: completionShells,
		RunE:      RunE(o),
	}
	cmd.Flags().BoolVar(&o.Install, "install", false, "link "+CompletionPrefix+g.Plugin+" next to kubectl-"+g.Plugin+" on PATH")
	cmd.Flags().StringVar(&o.Dir, "dir", "", "with --install: the directory to link it in (default: kubectl-"+g.Plugin+"'s, as found on PATH)")
	return cmd
}

// Complete reads the optional shell name (kept for those used to cobra's completion command).
func (o *CompletionOptions) Complete(args []string) error {
	if len(args) == 1 {
		o.shell = args[0]
	}
	return nil
}

// Validate checks the shell name and --dir.
func (o *CompletionOptions) Validate() error {
	if o.shell != "" && !slices.Contains(completionShells, o.shell) {
		return clierr.Usagef("use bash, zsh, fish or powershell, or no argument", "unknown shell %q", o.shell)
	}
	if o.Dir != "" && !o.Install {
		return clierr.Usagef("add --install", "--dir is where --install links the completion")
	}
	return nil
}

// Run prints the executable, or links it.
func (o *CompletionOptions) Run(context.Context) error {
	if o.shell != "" {
		o.g.Note(fmt.Sprintf("kubectl's own script completes plugins: source <(kubectl completion %s); it calls %s%s, which follows", o.shell, CompletionPrefix, o.g.Plugin))
	}
	if !o.Install {
		_, err := fmt.Fprintf(o.g.Streams.Out, "#!/bin/sh\n# Save as an executable %[1]s%[2]s on PATH: kubectl (1.26+) then completes 'kubectl %[2]s …'.\nexec kubectl-%[2]s __complete \"$@\"\n",
			CompletionPrefix, o.g.Plugin)
		return err
	}
	return o.install()
}

// install links kubectl_complete-<plugin> to the plugin binary, replacing the link atomically
// (a new link renamed over the old one); an existing file that is not our link is left alone.
func (o *CompletionOptions) install() error {
	target, err := exec.LookPath("kubectl-" + o.g.Plugin)
	if err != nil {
		return clierr.Failf("put kubectl-"+o.g.Plugin+" on PATH first (make install, or kubectl krew install "+o.g.Plugin+")", "kubectl-%s is not on PATH", o.g.Plugin)
	}
	dir := o.Dir
	if dir == "" {
		dir = filepath.Dir(target)
	}
	link := filepath.Join(dir, CompletionPrefix+o.g.Plugin)
	if cur, err := os.Readlink(link); err == nil && cur == target {
		_, err := fmt.Fprintf(o.g.Streams.Out, "%s already links to %s\n", link, target)
		return err
	} else if fi, lerr := os.Lstat(link); lerr == nil && fi.Mode()&os.ModeSymlink == 0 {
		return clierr.Failf("remove it, or pass --dir", "%s exists and is not a link; it is left as it is", link)
	}
	tmp := link + ".tmp"
	_ = os.Remove(tmp)
	if err := os.Symlink(target, tmp); err != nil {
		return clierr.Failf("pass --dir with a directory on PATH you can write to", "cannot link %s: %v", link, err)
	}
	if err := os.Rename(tmp, link); err != nil {
		_ = os.Remove(tmp)
		return clierr.Failf("pass --dir with a directory on PATH you can write to", "cannot link %s: %v", link, err)
	}
	_, err = fmt.Fprintf(o.g.Streams.Out, "linked %s -> %s; with kubectl's completion loaded, 'kubectl %s <TAB>' completes\n", link, target, o.g.Plugin)
	return err
}
