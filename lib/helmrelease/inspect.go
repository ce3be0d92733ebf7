package helmrelease

import (
	release "helm.sh/helm/v4/pkg/release/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/osc-coco/kubectl-plugins/lib/apply"
)

// Object names one object of a release.
type Object struct {
	Kind, Namespace, Name string
}

func (o Object) String() string {
	if o.Namespace == "" {
		return o.Kind + " " + o.Name
	}
	return o.Kind + " " + o.Namespace + "/" + o.Name
}

func objectsOf(manifest string) []*unstructured.Unstructured {
	objs, _ := apply.Parse([]byte(manifest))
	return objs
}

// Kept lists the objects of the release that Helm leaves behind on uninstall: those annotated
// helm.sh/resource-policy: keep (Helm's pkg/action resource policy). Namespaced ones without a
// namespace are in the release's.
func Kept(rel *release.Release) []Object {
	var out []Object
	for _, m := range objectsOf(rel.Manifest) {
		if m.GetAnnotations()["helm.sh/resource-policy"] != "keep" {
			continue
		}
		ns := m.GetNamespace()
		if ns == "" && m.GetKind() != "ClusterRole" && m.GetKind() != "ClusterRoleBinding" && m.GetKind() != "Namespace" {
			ns = rel.Namespace
		}
		out = append(out, Object{Kind: m.GetKind(), Namespace: ns, Name: m.GetName()})
	}
	return out
}

// HookJobs are the Jobs the release runs as hooks at event (e.g. "post-delete").
func HookJobs(rel *release.Release, event string) []Object {
	var out []Object
	for _, h := range rel.Hooks {
		if h.Kind != "Job" {
			continue
		}
		for _, e := range h.Events {
			if string(e) == event {
				ns := rel.Namespace
				for _, m := range objectsOf(h.Manifest) {
					if m.GetNamespace() != "" {
						ns = m.GetNamespace()
					}
				}
				out = append(out, Object{Kind: "Job", Namespace: ns, Name: h.Name})
			}
		}
	}
	return out
}
