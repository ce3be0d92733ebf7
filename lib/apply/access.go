package apply

import (
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/osc-coco/kubectl-plugins/lib/access"
)

// AccessRequests lists, once each, the permission checks for doing verbs to objs: what a
// command asks with access.Check before it changes anything. Objects of kinds the cluster does
// not serve yet (a CRD in the same manifests) are skipped: creating the CRD is checked instead.
// defaultNS is the namespace of namespaced objects that name none (Helm's release namespace).
func (a *Applier) AccessRequests(objs []*unstructured.Unstructured, defaultNS string, verbs ...string) []access.Request {
	seen := map[access.Request]bool{}
	var out []access.Request
	for _, u := range objs {
		gvk := u.GroupVersionKind()
		m, err := a.mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
		if err != nil {
			continue
		}
		ns := ""
		if m.Scope.Name() == meta.RESTScopeNameNamespace {
			if ns = u.GetNamespace(); ns == "" {
				ns = defaultNS
			}
		}
		for _, verb := range verbs {
			r := access.Request{Verb: verb, Group: m.Resource.Group, Resource: m.Resource.Resource, Namespace: ns}
			if !seen[r] {
				seen[r] = true
				out = append(out, r)
			}
		}
	}
	return out
}
