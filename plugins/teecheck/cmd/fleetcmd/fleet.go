// Package fleetcmd is kubectl teecheck nodes --shoots: the nodes of each shoot of a Gardener
// project, read through short-lived kubeconfigs. teecheck-fleet links it; kubectl-teecheck
// hands it the command lines that give its flags (issue #29: Gardener's packages start only
// where they are used).
package fleetcmd

import (
	"context"
	"fmt"
	"io"

	"k8s.io/cli-runtime/pkg/genericiooptions"
	"k8s.io/client-go/rest"

	"github.com/spf13/cobra"

	"github.com/osc-coco/kubectl-plugins/lib/cli"
	"github.com/osc-coco/kubectl-plugins/lib/garden"
	"github.com/osc-coco/kubectl-plugins/lib/output"
	"github.com/osc-coco/kubectl-plugins/lib/tee/teeprint"
	"github.com/osc-coco/kubectl-plugins/plugins/teecheck/cmd"
)

// FleetReport is the schema of "nodes --shoots ... -o json|yaml": a NodeReportList per shoot.
type FleetReport struct {
	APIVersion string                               `json:"apiVersion"`
	Kind       string                               `json:"kind"`
	Project    string                               `json:"project"`
	Items      []garden.Result[*cmd.NodeReportList] `json:"items"`
	Summary    FleetSummary                         `json:"summary"`
}

// FleetSummary counts the shoots by outcome.
type FleetSummary struct {
	Shoots     int `json:"shoots"`
	Ready      int `json:"ready"`      // every node ready
	NotReady   int `json:"notReady"`   // some node not ready
	Hibernated int `json:"hibernated"` // no nodes run
	CannotTell int `json:"cannotTell"` // unreachable, forbidden or failed
}

// NewRoot builds the whole of "kubectl teecheck", as teecheck-fleet runs it.
func NewRoot(streams genericiooptions.IOStreams) *cobra.Command {
	root, _ := NewRootWithGlobals(streams)
	return root
}

// NewRootWithGlobals also returns the shared flags, so tests and benchmarks can wrap clients.
func NewRootWithGlobals(streams genericiooptions.IOStreams) (*cobra.Command, *cli.Globals) {
	root, g := cmd.NewRootWithGlobals(streams)
	cli.ProvideHelped(root, cmd.NewNodesCommand(g, &fleet{g: g}))
	return root, g
}

// fleet is cmd.Fleet through Gardener.
type fleet struct {
	g       *cli.Globals
	flags   garden.FleetFlags
	printer *output.Printer[FleetReport]
}

func (f *fleet) AddFlags(c *cobra.Command) { f.flags.AddFlags(c, f.g) }
func (f *fleet) On() bool                  { return f.flags.On() }

func (f *fleet) Complete(o *cmd.NodesOptions) error {
	var err error
	if f.printer, err = output.ToPrinter(o.Output(), func(w io.Writer, r FleetReport) error { return f.print(w, o.Output().NoHeaders, r) }); err != nil {
		return err
	}
	return f.flags.Complete(f.g)
}

// Run judges the nodes of each shoot of the project through a short-lived kubeconfig.
func (f *fleet) Run(ctx context.Context, o *cmd.NodesOptions) error {
	p, results, err := garden.ReadFleet(ctx, &f.flags, func(ctx context.Context, cfg *rest.Config) (*cmd.NodeReportList, error) {
		c, err := f.g.ClientsFor(cfg)
		if err != nil {
			return nil, err
		}
		return o.Judge(ctx, c)
	})
	if err != nil {
		return err
	}
	r := FleetReport{APIVersion: cmd.APIVersion, Kind: "ShootNodesReportList", Project: p.Name, Items: results}
	for _, res := range results {
		r.Summary.Shoots++
		switch {
		case res.Status == garden.Hibernated:
			r.Summary.Hibernated++
		case res.Status != garden.OK:
			r.Summary.CannotTell++
		case res.Value.Summary.NotReady > 0:
			r.Summary.NotReady++
		default:
			r.Summary.Ready++
		}
	}
	if err := f.printer.Print(f.g.Streams.Out, r); err != nil {
		return err
	}
	return cli.Verdict(r.Summary.NotReady == 0 && r.Summary.CannotTell == 0)
}

func (f *fleet) print(w io.Writer, noHeaders bool, r FleetReport) error {
	pr := teeprint.Printer{W: w, P: f.g.Palette(w), NoHeaders: noHeaders}
	t := output.Table{Headers: []string{"shoot", "node", "arch", "tee", "worker", "coco"}, NoHeaders: noHeaders}
	for _, res := range r.Items {
		if res.Status != garden.OK {
			t.Add(output.C(res.Shoot), output.C("-"), output.C("-"), output.C(res.Cause), output.C("-"), output.C(res.Reason))
			continue
		}
		if len(res.Value.Items) == 0 {
			t.Add(output.C(res.Shoot), output.C("(no nodes)"), output.C("-"), output.C("-"), output.C("-"), output.C("-"))
		}
		for _, n := range res.Value.Items {
			t.Add(output.C(res.Shoot), output.C(n.Name), output.C(n.Architecture), pr.TEECell(n.TEE), output.C(teeprint.YesNo(n.Worker)), pr.ReadyCell(n.Ready, n.Confidential))
		}
	}
	if err := t.Render(w); err != nil || noHeaders {
		return err
	}
	s := r.Summary
	_, err := fmt.Fprintf(w, "\n%d shoots: %d ready, %d with nodes not ready, %d hibernated, %d cannot tell\n", s.Shoots, s.Ready, s.NotReady, s.Hibernated, s.CannotTell)
	return err
}

// ObjectNames are the fleet's shoots as kubectl names them on the garden (-o name): a node's
// name is not unique across shoots.
func (r FleetReport) ObjectNames() []string {
	out := make([]string, 0, len(r.Items))
	for _, it := range r.Items {
		out = append(out, "shoot.core.gardener.cloud/"+it.Shoot)
	}
	return out
}
