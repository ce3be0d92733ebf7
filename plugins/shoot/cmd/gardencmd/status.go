package gardencmd

import (
	shootcmd "github.com/osc-coco/kubectl-plugins/plugins/shoot/cmd"

	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/osc-coco/kubectl-plugins/lib/cli"
	"github.com/osc-coco/kubectl-plugins/lib/output"
	"github.com/osc-coco/kubectl-plugins/lib/progress"
	"github.com/osc-coco/kubectl-plugins/plugins/shoot/shootstate"
)

// StatusOptions shows one shoot's state.
type StatusOptions struct {
	a       *gardenAccess
	out     output.Flags
	printer *output.Printer[ShootStatus]
	Name    string
}

// ShootStatus is the schema of "status -o json|yaml".
type ShootStatus struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	shootstate.Summary
	Progress int    `json:"progress"`
	State    string `json:"state"`
	Ready    bool   `json:"ready"`
}

// ObjectNames is the shoot's kubectl name on the garden (-o name).
func (s ShootStatus) ObjectNames() []string { return []string{"shoot.core.gardener.cloud/" + s.Name} }

func newStatusCommand(a *gardenAccess) *cobra.Command {
	o := &StatusOptions{a: a, out: output.Flags{Allowed: []output.Format{output.Human, output.JSON, output.YAML}, Named: true}}
	cmd := &cobra.Command{
		Use:               "status NAME",
		Short:             shootcmd.StatusShort,
		Args:              cli.ExactArgs(1, "the shoot name"),
		ValidArgsFunction: completeShoots(a),
		RunE:              cli.RunE(withGarden(a, o)),
	}
	o.out.AddFlags(cmd)
	return cmd
}

// Complete reads the name and -o.
func (o *StatusOptions) Complete(args []string) error {
	o.Name = args[0]
	if err := shootName(o.Name); err != nil {
		return err
	}
	var err error
	o.printer, err = output.ToPrinter(&o.out, o.printHuman)
	return err
}

// Validate has nothing more to check.
func (o *StatusOptions) Validate() error { return nil }

// Run prints the status; exit code 1 when the shoot is not healthy or its operation failed.
func (o *StatusOptions) Run(ctx context.Context) error {
	_, p, s, err := o.a.connectShoot(ctx, o.Name)
	if err != nil {
		return err
	}
	sum := shootstate.Summarize(s, p.Name)
	outcome, msg := shootstate.Reconciled(s)
	ok := outcome == shootstate.Done && sum.Status != "unhealthy"
	r := ShootStatus{shootstate.APIVersion, "ShootStatus", sum, shootstate.Progress(s), msg, ok}
	if err := o.printer.Print(o.a.g.Streams.Out, r); err != nil {
		return err
	}
	return cli.Verdict(ok)
}

func (o *StatusOptions) printHuman(w io.Writer, r ShootStatus) error {
	sum, pal := r.Summary, o.a.g.Palette(w)
	fmt.Fprintf(w, "Shoot:          %s (project %s)\n", sum.Name, sum.Project)
	fmt.Fprintf(w, "Cloud profile:  %s, region %s, Kubernetes %s\n", sum.CloudProfile, sum.Region, sum.KubernetesVersion)
	fmt.Fprintf(w, "Hibernation:    %s\n", sum.Hibernation)
	fmt.Fprintf(w, "Status:         %s\n", paintWith(statusPaint(sum.Status, pal), sum.StatusColumn()))
	fmt.Fprintf(w, "Last operation: %s %s\n", sum.LastOperationColumn(), progress.Bar(r.Progress, 20))
	if sum.LastOperation != nil && sum.LastOperation.Description != "" {
		fmt.Fprintf(w, "                %s (updated %s)\n", sum.LastOperation.Description, sinceRFC3339(sum.LastOperation.Updated))
	}
	if sum.Deleting {
		fmt.Fprintln(w, pal.Warn("                marked for deletion"))
	}
	if len(sum.Conditions) > 0 {
		fmt.Fprintln(w, "Conditions:")
		t := &output.Table{Headers: []string{"  TYPE", "STATUS", "REASON", "MESSAGE"}, NoHeaders: o.out.NoHeaders}
		for _, c := range sum.Conditions {
			t.Add(output.C("  "+c.Type), output.Cell{Text: c.Status, Paint: conditionPaint(c.Status, pal)}, output.C(c.Reason), output.C(firstLine(c.Message, 80)))
		}
		if err := t.Render(w); err != nil {
			return err
		}
	}
	if len(sum.LastErrors) > 0 {
		fmt.Fprintln(w, pal.Bad("Last errors:"))
		for _, e := range sum.LastErrors {
			fmt.Fprintf(w, "  - %s\n", e)
		}
	}
	if !r.Ready {
		_, err := fmt.Fprintf(w, "%s %s\n", pal.Warn("Not ready:"), r.State)
		return err
	}
	return nil
}

func paintWith(f func(string) string, s string) string {
	if f == nil {
		return s
	}
	return f(s)
}

func sinceRFC3339(s string) string {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return s
	}
	return shootstate.Age(t, time.Now()) + " ago"
}

func firstLine(s string, n int) string {
	s, _, _ = strings.Cut(s, "\n")
	if len(s) > n {
		return s[:n-1] + "…"
	}
	return s
}

// completeShoots completes shoot names of the project (kubectl_complete-shoot, shell completion).
func completeShoots(a *gardenAccess) func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
	return func(cmd *cobra.Command, args []string, prefix string) ([]string, cobra.ShellCompDirective) {
		if len(args) > 0 {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		gd, err := a.connect()
		if err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		ctx, cancel := context.WithTimeout(cmd.Context(), 5*time.Second)
		defer cancel()
		p, err := gd.Project(ctx, a.flags.Project)
		if err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		list, err := gd.Core.CoreV1beta1().Shoots(p.Namespace).List(ctx, metav1.ListOptions{})
		if err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		var out []string
		for _, s := range list.Items {
			if strings.HasPrefix(s.Name, prefix) {
				out = append(out, s.Name)
			}
		}
		return out, cobra.ShellCompDirectiveNoFileComp
	}
}
