package helmcmd

import (
	"context"

	release "helm.sh/helm/v4/pkg/release/v1"

	"github.com/osc-coco/kubectl-plugins/lib/cli"
	"github.com/osc-coco/kubectl-plugins/lib/clierr"
	"github.com/osc-coco/kubectl-plugins/lib/helmrelease"
	"github.com/osc-coco/kubectl-plugins/lib/kube"
	"github.com/osc-coco/kubectl-plugins/plugins/demoingress/controllers"
)

// releaseClients holds a Helm client per controller namespace, built on first use (a test sets
// them all).
type releaseClients map[string]*helmrelease.Client

func (r releaseClients) in(g *cli.Globals, c *kube.Clients, ns string) (*helmrelease.Client, error) {
	if hc, ok := r[ns]; ok {
		return hc, nil
	}
	hc, err := helmrelease.ClientFor(g, c.Config, ns)
	if err != nil {
		return nil, clierr.Wrap(err, "connecting Helm to the cluster")
	}
	r[ns] = hc
	return hc, nil
}

// installedController is a controller's release found on the cluster.
type installedController struct {
	spec    controllers.Spec
	release *release.Release
	helm    *helmrelease.Client
}

// findInstalled looks for each controller's release in its namespace. A release that cannot be
// read is "cannot tell", never "absent".
func findInstalled(ctx context.Context, g *cli.Globals, c *kube.Clients, rc releaseClients, only string) ([]installedController, []string, error) {
	var found []installedController
	var cannotTell []string
	for _, spec := range controllers.All() {
		if only != "" && spec.Name != only {
			continue
		}
		hc, err := rc.in(g, c, spec.Namespace)
		if err != nil {
			return nil, nil, err
		}
		rel, err := hc.Get(ctx, spec.Release)
		if err != nil {
			cannotTell = append(cannotTell, clierr.CannotTell(err, clierr.Action{Verb: "list", Resource: "secrets", Namespace: spec.Namespace})+" (the "+spec.Name+" release)")
			continue
		}
		if rel != nil {
			found = append(found, installedController{spec: spec, release: rel, helm: hc})
		}
	}
	return found, cannotTell, nil
}
