package gardencmd

import (
	shootcmd "github.com/osc-coco/kubectl-plugins/plugins/shoot/cmd"

	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/osc-coco/kubectl-plugins/lib/cli"
	"github.com/osc-coco/kubectl-plugins/lib/clierr"
)

// WaitOptions waits for a shoot to be reconciled or deleted.
type WaitOptions struct {
	a       *gardenAccess
	Name    string
	For     string
	Timeout time.Duration
}

func newWaitCommand(a *gardenAccess) *cobra.Command {
	o := &WaitOptions{a: a, For: forReconciled, Timeout: 30 * time.Minute}
	cmd := &cobra.Command{
		Use:   "wait NAME [--for reconciled|deleted]",
		Short: shootcmd.WaitShort,
		Long: `Follows the shoot with a watch and shows its last operation as a progress bar on a terminal.
Ends with exit code 0 when the shoot is reconciled (or gone, with --for deleted), 1 when Gardener
reports the operation as Failed or --timeout passes (the last errors are printed).`,
		Args:              cli.ExactArgs(1, "the shoot name"),
		ValidArgsFunction: completeShoots(a),
		RunE:              cli.RunE(withGarden(a, o)),
	}
	cmd.Flags().StringVar(&o.For, "for", o.For, "reconciled or deleted")
	cmd.Flags().DurationVar(&o.Timeout, "timeout", o.Timeout, "how long to wait")
	return cmd
}

// Complete reads the name.
func (o *WaitOptions) Complete(args []string) error {
	o.Name = args[0]
	return shootName(o.Name)
}

// Validate checks --for and --timeout.
func (o *WaitOptions) Validate() error {
	if o.For != forReconciled && o.For != forDeleted {
		return clierr.Usagef("use --for reconciled or --for deleted", "unknown --for %q", o.For)
	}
	if err := cli.CheckTimeout(o.Timeout, "30m"); err != nil {
		return err
	}
	return nil
}

// Run waits.
func (o *WaitOptions) Run(ctx context.Context) error {
	gd, p, err := o.a.connectProject(ctx)
	if err != nil {
		return err
	}
	if o.For != forDeleted { // a name that does not exist gets did-you-mean, not a wait
		if _, err := gd.Shoot(ctx, p, o.Name); err != nil {
			return err
		}
	}
	if _, err := waitShoot(ctx, gd, p, o.Name, o.For, o.Timeout, o.a.g.Progress(), o.a.g.Streams.ErrOut); err != nil {
		return err
	}
	fmt.Fprintf(o.a.g.Streams.Out, "shoot %s is %s\n", o.Name, o.For)
	return nil
}
