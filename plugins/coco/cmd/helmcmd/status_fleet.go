package helmcmd

import (
	"context"
	"fmt"
	"io"
	"strings"

	"k8s.io/client-go/rest"

	"github.com/osc-coco/kubectl-plugins/lib/cli"
	"github.com/osc-coco/kubectl-plugins/lib/garden"
	"github.com/osc-coco/kubectl-plugins/lib/helmrelease"
	"github.com/osc-coco/kubectl-plugins/lib/output"
	"github.com/osc-coco/kubectl-plugins/plugins/coco/chartvalues"
	"github.com/osc-coco/kubectl-plugins/plugins/coco/cocostatus"
	"github.com/osc-coco/kubectl-plugins/plugins/coco/preflight"
)

// FleetStatus is the schema of "status --shoots ... -o json|yaml": a status report per shoot.
type FleetStatus struct {
	APIVersion string                              `json:"apiVersion"`
	Kind       string                              `json:"kind"`
	Project    string                              `json:"project"`
	Items      []garden.Result[*cocostatus.Report] `json:"items"`
	// Healthy counts the shoots whose CoCo is installed and healthy.
	Healthy int `json:"healthy"`
	Shoots  int `json:"shoots"`
}

// runFleet gathers the CoCo status of each shoot of the project (release in coco-system).
func (o *StatusOptions) runFleet(ctx context.Context) error {
	p, results, err := garden.ReadFleet(ctx, &o.fleet, func(ctx context.Context, cfg *rest.Config) (*cocostatus.Report, error) {
		return o.shootStatus(ctx, cfg)
	})
	if err != nil {
		return err
	}
	r := FleetStatus{APIVersion: preflight.APIVersion, Kind: "StatusReportList", Project: p.Name, Items: results}
	bad := false
	for _, res := range results {
		r.Shoots++
		switch {
		case res.Status == garden.OK && res.Value.Healthy:
			r.Healthy++
		case res.Status != garden.Hibernated:
			bad = true
		}
	}
	return cli.PrintVerdict(o.fleetPrinter, o.g.Streams.Out, r, !bad)
}

// shootStatus is the single-cluster status on a shoot's in-memory kubeconfig.
func (o *StatusOptions) shootStatus(ctx context.Context, cfg *rest.Config) (*cocostatus.Report, error) {
	c, err := o.g.ClientsFor(cfg)
	if err != nil {
		return nil, err
	}
	releases, err := helmrelease.ClientFor(o.g, cfg, chartvalues.Namespace)
	if err != nil {
		return nil, err
	}
	r, err := cocostatus.Gather(ctx, c, releases, chartvalues.Namespace)
	if err != nil {
		return nil, err
	}
	return &r, nil
}

func (o *StatusOptions) printFleet(w io.Writer, r FleetStatus) error {
	p := o.g.Palette(w)
	t := output.Table{Headers: []string{"shoot", "installed", "method", "version", "nodes", "healthy", "problems"}}
	for _, res := range r.Items {
		if res.Status != garden.OK {
			t.Add(output.C(res.Shoot), output.C("-"), output.C("-"), output.C("-"), output.C("-"), output.C(res.Cause), output.C(res.Reason))
			continue
		}
		s := res.Value
		healthy := output.C(p.Good("yes"))
		if !s.Healthy {
			healthy = output.C(p.Bad("no"))
		}
		problems := append(append([]string{}, s.Problems...), s.CannotTell...)
		t.Add(output.C(res.Shoot), output.C(yesNo(s.Installed)), output.C(dashIfEmpty(s.Method, "-")), output.C(dashIfEmpty(s.Version, "-")),
			output.C(fmt.Sprint(len(s.Nodes))), healthy, output.C(dashIfEmpty(strings.Join(problems, "; "), "-")))
	}
	if err := t.Render(w); err != nil {
		return err
	}
	_, err := fmt.Fprintf(w, "\n%d of %d shoots have a healthy CoCo\n", r.Healthy, r.Shoots)
	return err
}
