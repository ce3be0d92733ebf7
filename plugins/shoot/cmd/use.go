package cmd

import (
	"context"
	"fmt"
	"os"
	"runtime"

	"github.com/spf13/cobra"

	"github.com/osc-coco/kubectl-plugins/lib/cli"
	"github.com/osc-coco/kubectl-plugins/lib/clierr"
	"github.com/osc-coco/kubectl-plugins/plugins/shoot/atomicfile"
	"github.com/osc-coco/kubectl-plugins/plugins/shoot/shellenv"
)

// UseOptions prints the line that points KUBECONFIG at a shoot.
type UseOptions struct {
	a       *gardenAccess
	Name    string
	Shell   string
	Refresh bool
}

func newUseCommand(a *gardenAccess) *cobra.Command {
	o := &UseOptions{a: a}
	cmd := &cobra.Command{
		Use:   "use NAME [--shell bash|zsh|fish|powershell]",
		Short: "Make sure the shoot's kubeconfig exists and print the line that sets KUBECONFIG",
		Long: `A plugin cannot change its parent shell's environment, so 'use' prints the command and you
evaluate it:

  eval "$(kubectl shoot use eco-sbx)"                      # bash, zsh
  kubectl shoot use eco-sbx --shell fish | source          # fish
  kubectl shoot use eco-sbx --shell powershell | Invoke-Expression

The path is quoted for that shell, so spaces and special characters are safe.`,
		Args:              cli.ExactArgs(1, "the shoot name"),
		ValidArgsFunction: completeShoots(a),
		RunE:              cli.RunE(o),
	}
	cmd.Flags().StringVar(&o.Shell, "shell", "", "bash, zsh, fish or powershell (default: from $SHELL)")
	cmd.Flags().BoolVar(&o.Refresh, "refresh", false, "write the kubeconfig again even if it exists")
	_ = cmd.RegisterFlagCompletionFunc("shell", cobra.FixedCompletions(shellenv.Shells, cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

// Complete reads the name and picks the shell.
func (o *UseOptions) Complete(args []string) error {
	o.Name = args[0]
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
	gd, p, err := o.a.connectProject(ctx)
	if err != nil {
		return err
	}
	path := o.a.defaultKubeconfigPath(p, o.Name)
	_, statErr := os.Stat(path)
	if o.Refresh || statErr != nil {
		data, err := buildGardenloginKubeconfig(ctx, gd, p, o.Name, "")
		if err != nil {
			return err
		}
		if err := atomicfile.Write(path, data, 0o600); err != nil {
			return clierr.Wrap(err, "writing %s", path)
		}
		fmt.Fprintf(o.a.g.Streams.ErrOut, "wrote %s\n", path)
	} else if _, err := getShoot(ctx, gd, p, o.Name); err != nil {
		return err
	}
	line, _ := shellenv.Export(o.Shell, "KUBECONFIG", path)
	_, err = fmt.Fprintln(o.a.g.Streams.Out, line)
	return err
}
