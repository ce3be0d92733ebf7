package helmcmd

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/osc-coco/kubectl-plugins/lib/cli"
	"github.com/osc-coco/kubectl-plugins/lib/garden"
	"github.com/osc-coco/kubectl-plugins/lib/helmrelease"
	"github.com/osc-coco/kubectl-plugins/lib/kube"
	"github.com/osc-coco/kubectl-plugins/lib/output"
	"github.com/osc-coco/kubectl-plugins/plugins/coco/chartvalues"
	"github.com/osc-coco/kubectl-plugins/plugins/coco/cmd"
	"github.com/osc-coco/kubectl-plugins/plugins/coco/cocostatus"
)

// StatusOptions shows what is installed and whether it works.
type StatusOptions struct {
	g   *cli.Globals
	out output.Flags

	printer      *output.Printer[cocostatus.Report]
	fleetPrinter *output.Printer[FleetStatus] // --shoots
	// clients and releases are built in Complete unless a test set them.
	clients  *kube.Clients
	releases *helmrelease.Client
	// fleet is --shoots: the status of each shoot of a project instead.
	fleet garden.FleetFlags
}

func newStatusCommand(g *cli.Globals) *cobra.Command {
	o := &StatusOptions{g: g, out: output.Flags{Allowed: []output.Format{output.Human, output.JSON, output.YAML}}}
	cmd := &cobra.Command{
		Use:   "status",
		Short: cmd.StatusShort,
		Args:  cli.NoArgs,
		RunE:  cli.RunE(o),
	}
	o.out.AddFlags(cmd)
	o.fleet.AddFlags(cmd, o.g)
	return cmd
}

// Complete reads -o and connects to the cluster and its Helm releases.
func (o *StatusOptions) Complete([]string) error {
	var err error
	if o.printer, err = output.ToPrinter(&o.out, o.printHuman); err != nil {
		return err
	}
	if o.fleetPrinter, err = output.ToPrinter(&o.out, o.printFleet); err != nil {
		return err
	}
	if err := o.fleet.Complete(o.g); err != nil || o.fleet.On() {
		return err
	}
	return helmrelease.Connect(o.g, &o.clients, &o.releases, releaseNamespace(o.g))
}

// Validate has nothing more to check (the fleet flags are checked in Complete).
func (o *StatusOptions) Validate() error { return nil }

// Run gathers the status; exit code 1 when CoCo is not installed or not healthy.
func (o *StatusOptions) Run(ctx context.Context) error {
	if o.fleet.On() {
		return o.runFleet(ctx)
	}
	r, err := cocostatus.Gather(ctx, o.clients, o.releases, releaseNamespace(o.g))
	if err != nil {
		return err
	}
	return cli.PrintVerdict(o.printer, o.g.Streams.Out, r, r.Healthy)
}

func (o *StatusOptions) printHuman(w io.Writer, r cocostatus.Report) error {
	p := o.g.Palette(w)
	if !r.Installed {
		fmt.Fprintf(w, "CoCo is %s (no Helm release %q in namespace %s)\n", p.Bad("not installed"), chartvalues.ReleaseName, r.Namespace)
		if len(r.RuntimeClasses.Present) > 0 {
			fmt.Fprintf(w, "Runtime classes present anyway: %s\n", strings.Join(r.RuntimeClasses.Present, ", "))
		}
		fmt.Fprintln(w, "Install it with: kubectl coco install")
		return nil
	}
	if r.Method == "operator" {
		fmt.Fprintf(w, "Installed by the CoCo operator %s: %s in %s\n", r.Version, r.Release, r.Namespace)
	} else {
		fmt.Fprintf(w, "Release:  %s (chart %s %s, revision %d, %s) in %s\n", r.Release, r.Chart, r.Version, r.Revision, r.ReleaseStatus, r.Namespace)
	}
	t := output.Table{Headers: []string{"node", "kata-runtime"}, NoHeaders: o.out.NoHeaders}
	for _, n := range r.Nodes {
		cell := output.Cell{Text: n.KataRuntime, Paint: p.Good}
		if n.KataRuntime != "true" {
			cell = output.Cell{Text: dashIfEmpty(n.KataRuntime, "not yet"), Paint: p.Warn}
		}
		t.Add(output.C(n.Node), cell)
	}
	fmt.Fprintln(w)
	if err := t.Render(w); err != nil {
		return err
	}
	fmt.Fprintf(w, "\nRuntime classes: %d of %d expected present", len(r.RuntimeClasses.Expected)-len(r.RuntimeClasses.Missing), len(r.RuntimeClasses.Expected))
	if len(r.RuntimeClasses.Missing) > 0 {
		fmt.Fprintf(w, " (missing: %s)", strings.Join(r.RuntimeClasses.Missing, ", "))
	}
	fmt.Fprintln(w)
	if r.Healthy {
		fmt.Fprintf(w, "Status: %s\n", p.Good("healthy"))
		return nil
	}
	if len(r.Problems) > 0 {
		fmt.Fprintf(w, "Status: %s\n", p.Bad("problems found"))
	} else {
		fmt.Fprintf(w, "Status: %s\n", p.Warn("cannot tell"))
	}
	for _, pr := range r.Problems {
		fmt.Fprintf(w, "  %s %s\n", p.Bad("✗"), pr)
	}
	for _, u := range r.CannotTell {
		fmt.Fprintf(w, "  %s %s\n", p.Warn("?"), u)
	}
	return nil
}
