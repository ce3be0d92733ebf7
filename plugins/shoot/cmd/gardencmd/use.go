package gardencmd

import (
	shootcmd "github.com/osc-coco/kubectl-plugins/plugins/shoot/cmd"

	"context"
	"fmt"
	"os"
	"runtime"

	gardencorev1beta1 "github.com/gardener/gardener/pkg/apis/core/v1beta1"
	"github.com/spf13/cobra"

	"github.com/osc-coco/kubectl-plugins/lib/atomicfile"
	"github.com/osc-coco/kubectl-plugins/lib/cli"
	"github.com/osc-coco/kubectl-plugins/lib/clierr"
	"github.com/osc-coco/kubectl-plugins/lib/garden"
	"github.com/osc-coco/kubectl-plugins/plugins/shoot/shellenv"
)

// UseOptions prints the line that points KUBECONFIG at a shoot.
type UseOptions struct {
	a       *gardenAccess
	Name    string
	Shell   string
	Refresh bool
	Yes     bool
}

func newUseCommand(a *gardenAccess) *cobra.Command {
	o := &UseOptions{a: a}
	cmd := &cobra.Command{
		Use:   "use NAME [--shell bash|zsh|fish|powershell]",
		Short: shootcmd.UseShort,
		Long: `A plugin cannot change its parent shell's environment, so 'use' prints the command and you
evaluate it:

  eval "$(kubectl shoot use eco-sbx)"                      # bash, zsh
  kubectl shoot use eco-sbx --shell fish | source          # fish
  kubectl shoot use eco-sbx --shell powershell | Invoke-Expression

The path is quoted for that shell, so spaces and special characters are safe. When the garden
config lists access restrictions that apply to the shoot, they are shown and must be accepted
(on the terminal, or with --yes), as with "gardenctl target shoot".`,
		Args:              cli.ExactArgs(1, "the shoot name"),
		ValidArgsFunction: completeShoots(a),
		RunE:              cli.RunE(withGarden(a, o)),
	}
	cmd.Flags().StringVar(&o.Shell, "shell", "", "bash, zsh, fish or powershell (default: from $SHELL)")
	cmd.Flags().BoolVar(&o.Refresh, "refresh", false, "write the kubeconfig again even if it exists")
	cmd.Flags().BoolVarP(&o.Yes, "yes", "y", false, "accept the garden's access restrictions for this shoot without asking")
	_ = cmd.RegisterFlagCompletionFunc("shell", cobra.FixedCompletions(shellenv.Shells, cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

// Complete reads the name and picks the shell.
func (o *UseOptions) Complete(args []string) error {
	o.Name = args[0]
	if err := shootName(o.Name); err != nil {
		return err
	}
	if o.Shell == "" {
		o.Shell = shellenv.Detect(os.Getenv("SHELL"), runtime.GOOS, os.Getenv("PSModulePath"))
	}
	return nil
}

// Validate checks the shell.
func (o *UseOptions) Validate() error {
	if _, err := shellenv.Export(o.Shell, "KUBECONFIG", "x"); err != nil {
		return clierr.Usagef("use --shell bash, zsh, fish or powershell", "%v", err)
	}
	return nil
}

// Run writes the kubeconfig when missing and prints the export line.
func (o *UseOptions) Run(ctx context.Context) error {
	gd, p, s, err := o.a.connectShoot(ctx, o.Name)
	if err != nil {
		return err
	}
	if err := o.acknowledgeRestrictions(gd, s); err != nil {
		return err
	}
	path := o.a.defaultKubeconfigPath(p, o.Name)
	_, statErr := os.Stat(path)
	if o.Refresh || statErr != nil {
		kc, err := buildGardenloginKubeconfig(ctx, gd, p, s, nil)
		if err != nil {
			return err
		}
		if err := atomicfile.Write(path, kc.Data, 0o600); err != nil {
			return clierr.Wrap(err, "writing %s", path)
		}
		fmt.Fprintf(o.a.g.Streams.ErrOut, "wrote %s\n", path)
	}
	line, _ := shellenv.Export(o.Shell, "KUBECONFIG", path)
	_, err = fmt.Fprintln(o.a.g.Streams.Out, line)
	return err
}

// acknowledgeRestrictions shows the garden's access restrictions that apply to the shoot and,
// as gardenctl does when it targets a shoot, asks to continue (stderr: stdout is evaluated by
// the shell). Without a terminal to ask on, --yes is the answer.
func (o *UseOptions) acknowledgeRestrictions(gd *garden.Conn, s *gardencorev1beta1.Shoot) error {
	msgs := restrictions(gd, s)
	if len(msgs) == 0 {
		return nil
	}
	errOut := o.a.g.Streams.ErrOut
	printRestrictions(errOut, s.Name, msgs)
	switch {
	case o.Yes:
		return nil
	case !cli.IsTerminalInput(o.a.g.Streams.In):
		return clierr.Failf("read the restrictions above; to go on, pass --yes: kubectl shoot use "+s.Name+" --yes",
			"shoot %s has access restrictions and there is no terminal to confirm them on", s.Name)
	case !cli.Confirm(o.a.g.Streams.In, errOut, "Do you want to continue?"):
		return clierr.Failf("pass --yes to accept the restrictions", "not using shoot %s: the access restrictions were not accepted", s.Name)
	}
	return nil
}
