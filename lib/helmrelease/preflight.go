package helmrelease

import (
	"context"

	chart "helm.sh/helm/v4/pkg/chart/v2"
	release "helm.sh/helm/v4/pkg/release/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/osc-coco/kubectl-plugins/lib/access"
	"github.com/osc-coco/kubectl-plugins/lib/apply"
	"github.com/osc-coco/kubectl-plugins/lib/clierr"
)

// Preflight asks the API server, before anything is created, whether the user may install (or
// upgrade) the release: it renders the chart with these values and checks every kind in it, the
// release's own Secret and, when missing, the namespace. A refusal names each missing
// permission.
func (c *Client) Preflight(ctx context.Context, cfg *rest.Config, cs kubernetes.Interface, ch *chart.Chart, vals map[string]any, name string) error {
	rendered, err := Render(ctx, ch, vals, name, c.namespace)
	if err != nil {
		return clierr.Wrap(err, "rendering chart %s", ch.Metadata.Name)
	}
	return c.PreflightRendered(ctx, cfg, cs, rendered)
}

// PreflightRendered is Preflight for a chart already rendered (Render): its manifest and its
// hooks' objects are checked.
func (c *Client) PreflightRendered(ctx context.Context, cfg *rest.Config, cs kubernetes.Interface, rendered *release.Release) error {
	return c.PreflightWith(ctx, cfg, cs, rendered)
}

// PreflightWith is PreflightRendered that also asks for extra requests (what the command does
// beside the chart), so that one refusal names every missing permission.
func (c *Client) PreflightWith(ctx context.Context, cfg *rest.Config, cs kubernetes.Interface, rendered *release.Release, extra ...access.Request) error {
	name := rendered.Name
	// Helm keeps its releases in Secrets: it must list them to install at all.
	reqs := []access.Request{{Verb: "list", Resource: "secrets", Namespace: c.namespace}, {Verb: "create", Resource: "secrets", Namespace: c.namespace}}
	existing, err := c.Get(ctx, name)
	if err != nil && !apierrors.IsForbidden(err) {
		return clierr.FromAPI(err, clierr.Action{Verb: "list", Resource: "secrets", Namespace: c.namespace})
	}
	manifest := rendered.Manifest
	for _, h := range rendered.Hooks {
		manifest += "\n---\n" + h.Manifest
	}
	objs, err := apply.Parse([]byte(manifest))
	if err != nil {
		return clierr.Wrap(err, "reading the rendered chart")
	}
	a, err := apply.New(cfg)
	if err != nil {
		return err
	}
	verb := "create"
	if existing != nil {
		verb = "patch"
		reqs = append(reqs, access.Request{Verb: "update", Resource: "secrets", Namespace: c.namespace})
	}
	if _, err := cs.CoreV1().Namespaces().Get(ctx, c.namespace, metav1.GetOptions{}); err != nil && (apierrors.IsNotFound(err) || apierrors.IsForbidden(err)) {
		reqs = append(reqs, access.Request{Verb: "create", Resource: "namespaces"})
	}
	reqs = append(reqs, a.AccessRequests(objs, c.namespace, verb)...)
	reqs = append(reqs, extra...)
	if err := access.Check(ctx, cs, reqs...); err != nil {
		doing := "installing"
		if existing != nil {
			doing = "upgrading"
		}
		return clierr.Wrap(err, "%s release %s of chart %s needs these permissions", doing, name, rendered.Chart.Metadata.Name)
	}
	return nil
}
