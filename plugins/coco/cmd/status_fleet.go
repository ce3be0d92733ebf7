package cmd

import (
	"context"
	"fmt"
	"io"
	"strings"

	gardencore "github.com/gardener/gardener/pkg/client/core/clientset/versioned"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/osc-coco/kubectl-plugins/lib/cli"
	"github.com/osc-coco/kubectl-plugins/lib/fleet"
	"github.com/osc-coco/kubectl-plugins/lib/helmrelease"
	"github.com/osc-coco/kubectl-plugins/lib/kube"
	"github.com/osc-coco/kubectl-plugins/lib/output"
	"github.com/osc-coco/kubectl-plugins/plugins/coco/chartvalues"
	"github.com/osc-coco/kubectl-plugins/plugins/coco/preflight"
)

// FleetStatus is the schema of "status --shoots ... -o json|yaml": a StatusReport per shoot.
type FleetStatus struct {
	APIVersion string                        `json:"apiVersion"`
	Kind       string                        `json:"kind"`
	Project    string                        `json:"project"`
	Items      []fleet.Result[*StatusReport] `json:"items"`
	// Healthy counts the shoots whose CoCo is installed and healthy.
	Healthy int `json:"healthy"`
	Shoots  int `json:"shoots"`
}

// runFleet gathers the CoCo status of each shoot of the project (release in coco-system).
func (o *StatusOptions) runFleet(ctx context.Context) error {
	core, err := gardencore.NewForConfig(o.clients.Config)
	if err != nil {
		return err
	}
	ns, err := fleet.ProjectNamespace(ctx, core, o.Project, o.clients.Namespace, o.clients.NamespaceExplicit)
	if err != nil {
		return err
	}
	shoots, err := fleet.Shoots(ctx, core, ns, fleet.Names(o.Shoots))
	if err != nil {
		return err
	}
	results := fleet.Run(ctx, core, ns, shoots, o.Parallel, o.g.WrapConfig, func(ctx context.Context, cfg *rest.Config) (*StatusReport, error) {
		return o.shootStatus(ctx, cfg)
	})
	r := FleetStatus{APIVersion: preflight.APIVersion, Kind: "StatusReportList", Project: strings.TrimPrefix(ns, "garden-"), Items: results}
	bad := false
	for _, res := range results {
		r.Shoots++
		switch {
		case res.Status == fleet.OK && res.Value.Healthy:
			r.Healthy++
		case res.Status != fleet.Hibernated:
			bad = true
		}
	}
	return cli.PrintVerdict(o.fleetPrinter, o.g.Streams.Out, r, !bad)
}

// shootStatus is the single-cluster status on a shoot's in-memory kubeconfig.
func (o *StatusOptions) shootStatus(ctx context.Context, cfg *rest.Config) (*StatusReport, error) {
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, err
	}
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return nil, err
	}
	hc, err := helmrelease.NewClient(kube.Getter(cfg, chartvalues.Namespace), chartvalues.Namespace, false)
	if err != nil {
		return nil, err
	}
	one := &StatusOptions{g: o.g, clients: &kube.Clients{Config: cfg, Kube: cs, Dynamic: dyn, Namespace: chartvalues.Namespace}, releases: hc}
	r, err := one.gather(ctx, chartvalues.Namespace)
	if err != nil {
		return nil, err
	}
	return &r, nil
}

func (o *StatusOptions) printFleet(w io.Writer, r FleetStatus) error {
	p := o.g.Palette(w)
	t := output.Table{Headers: []string{"shoot", "installed", "method", "version", "nodes", "healthy", "problems"}}
	for _, res := range r.Items {
		if res.Status != fleet.OK {
			t.Add(output.C(res.Shoot), output.C("-"), output.C("-"), output.C("-"), output.C("-"), output.C(res.Status), output.C(res.Reason))
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

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}
