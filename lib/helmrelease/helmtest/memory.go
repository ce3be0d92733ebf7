// Package helmtest gives command unit tests a Helm release store without a cluster.
package helmtest

import (
	"io"
	"log/slog"

	"helm.sh/helm/v4/pkg/action"
	kubefake "helm.sh/helm/v4/pkg/kube/fake"
	release "helm.sh/helm/v4/pkg/release/v1"
	"helm.sh/helm/v4/pkg/storage"
	"helm.sh/helm/v4/pkg/storage/driver"

	"github.com/osc-coco/kubectl-plugins/lib/helmrelease"
)

// MemoryClient is a helmrelease.Client on Helm's own in-memory storage driver holding rels,
// with Helm's printing fake as the cluster: Helm's real Get and Uninstall actions in
// milliseconds.
func MemoryClient(namespace string, rels ...*release.Release) (*helmrelease.Client, error) {
	mem := driver.NewMemory()
	mem.SetNamespace(namespace)
	cfg := action.NewConfiguration(action.ConfigurationSetLogger(slog.DiscardHandler))
	cfg.Releases = storage.Init(mem)
	cfg.KubeClient = &kubefake.PrintingKubeClient{Out: io.Discard}
	for _, r := range rels {
		if r.Namespace == "" {
			r.Namespace = namespace
		}
		if err := cfg.Releases.Create(r); err != nil {
			return nil, err
		}
	}
	return helmrelease.FromConfiguration(cfg, namespace), nil
}
