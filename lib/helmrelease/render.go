package helmrelease

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"helm.sh/helm/v4/pkg/action"
	"helm.sh/helm/v4/pkg/chart/common"
	chart "helm.sh/helm/v4/pkg/chart/v2"
	kubefake "helm.sh/helm/v4/pkg/kube/fake"
	release "helm.sh/helm/v4/pkg/release/v1"
	"helm.sh/helm/v4/pkg/storage"
	"helm.sh/helm/v4/pkg/storage/driver"
)

// Render renders the chart with these values as "helm template" does (a client-side dry run):
// no cluster is involved, lookup finds nothing. The release holds the manifest and the hooks.
func Render(ctx context.Context, ch *chart.Chart, vals map[string]any, name, namespace string) (*release.Release, error) {
	return RenderFor(ctx, ch, vals, name, namespace, "")
}

// RenderFor is Render for a cluster of Kubernetes version kubeVersion (its server's GitVersion,
// "" for Helm's default): a chart's kubeVersion constraint and .Capabilities.KubeVersion see the
// cluster's version, as on a real install (Helm's client-side default is v1.20, which charts
// requiring >= 1.25, e.g. traefik, refuse).
func RenderFor(ctx context.Context, ch *chart.Chart, vals map[string]any, name, namespace, kubeVersion string) (*release.Release, error) {
	cfg := action.NewConfiguration(action.ConfigurationSetLogger(slog.DiscardHandler))
	mem := driver.NewMemory()
	mem.SetNamespace(namespace)
	cfg.Releases = storage.Init(mem)
	cfg.KubeClient = &kubefake.PrintingKubeClient{Out: io.Discard}
	in := action.NewInstall(cfg)
	in.ReleaseName, in.Namespace, in.DryRunStrategy, in.Replace = name, namespace, action.DryRunClient, true
	if kubeVersion != "" {
		kv, err := common.ParseKubeVersion(kubeVersion)
		if err != nil {
			return nil, err
		}
		in.KubeVersion = kv
	}
	r, err := in.RunWithContext(ctx, ch, vals)
	if err != nil {
		return nil, err
	}
	rel, _ := r.(*release.Release)
	return rel, nil
}

// ManifestWithHooks is the release's manifest followed by its hooks' objects, each marked as a
// hook with the events at which Helm creates it: what a dry run shows, since Helm keeps hooks
// out of the manifest.
func ManifestWithHooks(rel *release.Release) string {
	var b strings.Builder
	b.WriteString(rel.Manifest)
	for _, h := range rel.Hooks {
		var ev []string
		for _, e := range h.Events {
			ev = append(ev, string(e))
		}
		fmt.Fprintf(&b, "\n---\n# Hook %s (%s): Helm creates it at %s\n%s\n", h.Name, h.Path, strings.Join(ev, ","), strings.TrimSpace(strings.TrimPrefix(h.Manifest, "---")))
	}
	return b.String()
}
