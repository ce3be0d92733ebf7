package cmd

import (
	"context"
	"fmt"
	"io"

	"k8s.io/client-go/rest"

	"github.com/osc-coco/kubectl-plugins/lib/cli"
	"github.com/osc-coco/kubectl-plugins/lib/garden"
	"github.com/osc-coco/kubectl-plugins/lib/output"
	"github.com/osc-coco/kubectl-plugins/lib/tee/nodecheck"
	"github.com/osc-coco/kubectl-plugins/lib/tee/teeprint"
)

// FleetReport is the schema of "nodes --shoots ... -o json|yaml": a NodeReportList per shoot.
type FleetReport struct {
	APIVersion string                           `json:"apiVersion"`
	Kind       string                           `json:"kind"`
	Project    string                           `json:"project"`
	Items      []garden.Result[*NodeReportList] `json:"items"`
	Summary    FleetSummary                     `json:"summary"`
}

// FleetSummary counts the shoots by outcome.
type FleetSummary struct {
	Shoots     int `json:"shoots"`
	Ready      int `json:"ready"`      // every node ready
	NotReady   int `json:"notReady"`   // some node not ready
	Hibernated int `json:"hibernated"` // no nodes run
	CannotTell int `json:"cannotTell"` // unreachable, forbidden or failed
}

// runFleet judges the nodes of each shoot of the project through a short-lived kubeconfig.
func (o *NodesOptions) runFleet(ctx context.Context) error {
	p, results, err := garden.ReadFleet(ctx, &o.fleet, func(ctx context.Context, cfg *rest.Config) (*NodeReportList, error) {
		c, err := o.g.ClientsFor(cfg)
		if err != nil {
			return nil, err
		}
		reports, err := o.evaluate(ctx, c, o.Selector, nodecheck.Options{Require: o.require}, nil)
		if err != nil {
			return nil, err
		}
		l := newNodeReportList(reports)
		return &l, nil
	})
	if err != nil {
		return err
	}
	r := FleetReport{APIVersion: APIVersion, Kind: "ShootNodesReportList", Project: p.Name, Items: results}
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
	if err := o.fleetPrinter.Print(o.g.Streams.Out, r); err != nil {
		return err
	}
	return cli.Verdict(r.Summary.NotReady == 0 && r.Summary.CannotTell == 0)
}

func (o *NodesOptions) printFleet(w io.Writer, r FleetReport) error {
	pr := teeprint.Printer{W: w, P: o.g.Palette(w), NoHeaders: o.out.NoHeaders}
	t := output.Table{Headers: []string{"shoot", "node", "arch", "tee", "worker", "coco"}, NoHeaders: o.out.NoHeaders}
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
	if err := t.Render(w); err != nil || o.out.NoHeaders {
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
