package cmd

import (
	"context"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/osc-coco/kubectl-plugins/lib/kube"
	"github.com/osc-coco/kubectl-plugins/lib/names"
)

// checkNamespaces checks that every namespace the objects go to exists, before anything is sent:
// a missing namespace is named as such, not as the first object the API refused.
func checkNamespaces(ctx context.Context, c *kube.Clients, objs []*unstructured.Unstructured) error {
	seen := map[string]bool{}
	for _, u := range objs {
		ns := u.GetNamespace()
		if ns == "" {
			ns = c.Namespace
		}
		if seen[ns] {
			continue
		}
		seen[ns] = true
		if err := names.Namespace(ctx, c.Kube, ns); err != nil {
			return err
		}
	}
	return nil
}
