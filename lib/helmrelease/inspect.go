package helmrelease

import (
	"bufio"
	"io"
	"strings"

	release "helm.sh/helm/v4/pkg/release/v1"
	"k8s.io/apimachinery/pkg/util/yaml"
	sigyaml "sigs.k8s.io/yaml"
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

type objectMeta struct {
	Kind     string `json:"kind"`
	Metadata struct {
		Name        string            `json:"name"`
		Namespace   string            `json:"namespace"`
		Annotations map[string]string `json:"annotations"`
	} `json:"metadata"`
}

func objectsOf(manifest string) []objectMeta {
	var out []objectMeta
	r := yaml.NewYAMLReader(bufio.NewReader(strings.NewReader(manifest)))
	for {
		doc, err := r.Read()
		if err == io.EOF || err != nil {
			return out
		}
		var m objectMeta
		if sigyaml.Unmarshal(doc, &m) == nil && m.Kind != "" && m.Metadata.Name != "" {
			out = append(out, m)
		}
	}
}

// Kept lists the objects of the release that Helm leaves behind on uninstall: those annotated
// helm.sh/resource-policy: keep (Helm's pkg/action resource policy). Namespaced ones without a
// namespace are in the release's.
func Kept(rel *release.Release) []Object {
	var out []Object
	for _, m := range objectsOf(rel.Manifest) {
		if m.Metadata.Annotations["helm.sh/resource-policy"] != "keep" {
			continue
		}
		ns := m.Metadata.Namespace
		if ns == "" && m.Kind != "ClusterRole" && m.Kind != "ClusterRoleBinding" && m.Kind != "Namespace" {
			ns = rel.Namespace
		}
		out = append(out, Object{Kind: m.Kind, Namespace: ns, Name: m.Metadata.Name})
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
					if m.Metadata.Namespace != "" {
						ns = m.Metadata.Namespace
					}
				}
				out = append(out, Object{Kind: "Job", Namespace: ns, Name: h.Name})
			}
		}
	}
	return out
}
