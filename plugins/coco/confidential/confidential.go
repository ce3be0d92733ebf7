// Package confidential turns a user's workload manifests into CoCo workloads: the pod templates
// get the runtime class and the initdata annotation, and what breaks or means less inside a
// confidential guest is named. It decides; the deploy command reads the cluster and applies.
package confidential

import (
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/osc-coco/kubectl-plugins/plugins/coco/initdata"
)

// Options are what every pod template gets.
type Options struct {
	RuntimeClass string
	// Initdata is the annotation value ("" leaves the pods without initdata).
	Initdata string
}

// Warning is something about one object the user should know.
type Warning struct {
	Object  string `json:"object"` // kind/name
	Message string `json:"message"`
}

// templatePaths are where each workload kind keeps its pod template (its metadata and spec
// sit under the path; a Pod is its own template).
var templatePaths = map[string][]string{
	"Pod":         {},
	"Deployment":  {"spec", "template"},
	"ReplicaSet":  {"spec", "template"},
	"StatefulSet": {"spec", "template"},
	"DaemonSet":   {"spec", "template"},
	"Job":         {"spec", "template"},
	"CronJob":     {"spec", "jobTemplate", "spec", "template"},
}

// Result is the prepared objects, how many pod templates changed, and the warnings.
type Result struct {
	Objects   []*unstructured.Unstructured
	Workloads int
	Warnings  []Warning
}

// Prepare returns copies of objs with every pod template made confidential; objects without a
// pod template pass unchanged. A manifest with no workload at all is an error.
func Prepare(objs []*unstructured.Unstructured, o Options) (*Result, error) {
	if o.RuntimeClass == "" {
		return nil, fmt.Errorf("no runtime class")
	}
	r := &Result{}
	for _, in := range objs {
		u := in.DeepCopy()
		r.Objects = append(r.Objects, u)
		path, ok := templatePaths[u.GetKind()]
		if !ok {
			continue
		}
		name := strings.ToLower(u.GetKind()) + "/" + u.GetName()
		if err := r.prepareTemplate(u, path, name, o); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		r.Workloads++
	}
	if r.Workloads == 0 {
		return nil, fmt.Errorf("the manifest has no Pod, Deployment, ReplicaSet, StatefulSet, DaemonSet, Job or CronJob")
	}
	return r, nil
}

func (r *Result) prepareTemplate(u *unstructured.Unstructured, path []string, name string, o Options) error {
	spec, found, err := unstructured.NestedMap(u.Object, append(path, "spec")...)
	if err != nil || !found {
		return fmt.Errorf("no pod spec at %s", strings.Join(append(path, "spec"), "."))
	}
	if old, _ := spec["runtimeClassName"].(string); old != "" && old != o.RuntimeClass {
		r.warn(name, fmt.Sprintf("its runtimeClassName %s is replaced by %s", old, o.RuntimeClass))
	}
	spec["runtimeClassName"] = o.RuntimeClass
	r.checkSpec(name, spec, u.GetKind())
	if err := unstructured.SetNestedMap(u.Object, spec, append(path, "spec")...); err != nil {
		return err
	}
	if o.Initdata == "" {
		return nil
	}
	ann, _, _ := unstructured.NestedStringMap(u.Object, append(path, "metadata", "annotations")...)
	if ann == nil {
		ann = map[string]string{}
	}
	if old := ann[initdata.Annotation]; old != "" && old != o.Initdata {
		r.warn(name, "its initdata annotation is replaced")
	}
	ann[initdata.Annotation] = o.Initdata
	return unstructured.SetNestedStringMap(u.Object, ann, append(path, "metadata", "annotations")...)
}

func (r *Result) warn(object, msg string) {
	r.Warnings = append(r.Warnings, Warning{Object: object, Message: msg})
}

// Template is one workload's pod template.
type Template struct {
	// Object is kind/name, as the report and warnings name it.
	Object    string
	Kind      string
	Namespace string
	Name      string
	// Spec is the pod spec (the object's own map: changes reach the object).
	Spec map[string]any
	obj  *unstructured.Unstructured
	path []string
}

// Templates are the pod templates of objs (objects without one are left out), their namespace
// defaulted to namespace.
func Templates(objs []*unstructured.Unstructured, namespace string) []Template {
	var out []Template
	for _, u := range objs {
		path, ok := templatePaths[u.GetKind()]
		if !ok {
			continue
		}
		spec, _, _ := unstructured.NestedFieldNoCopy(u.Object, append(path, "spec")...)
		m, _ := spec.(map[string]any)
		ns := u.GetNamespace()
		if ns == "" {
			ns = namespace
		}
		out = append(out, Template{Object: strings.ToLower(u.GetKind()) + "/" + u.GetName(), Kind: u.GetKind(), Namespace: ns, Name: u.GetName(), Spec: m, obj: u, path: path})
	}
	return out
}

// Annotation is the template's annotation key ("" when absent).
func (t Template) Annotation(key string) string {
	ann, _, _ := unstructured.NestedStringMap(t.obj.Object, append(t.path, "metadata", "annotations")...)
	return ann[key]
}

// SetAnnotation sets the template's annotation key.
func (t Template) SetAnnotation(key, value string) error {
	ann, _, _ := unstructured.NestedStringMap(t.obj.Object, append(t.path, "metadata", "annotations")...)
	if ann == nil {
		ann = map[string]string{}
	}
	ann[key] = value
	return unstructured.SetNestedStringMap(t.obj.Object, ann, append(t.path, "metadata", "annotations")...)
}

// Images are the images of the template's init and app containers.
func (t Template) Images() []string {
	var out []string
	for _, list := range []string{"initContainers", "containers"} {
		cs, _ := t.Spec[list].([]any)
		for _, c := range cs {
			if img, _ := c.(map[string]any)["image"].(string); img != "" {
				out = append(out, img)
			}
		}
	}
	return out
}

// ReplaceImages rewrites the template's images by the map (reference as written: new one).
func (t Template) ReplaceImages(to map[string]string) {
	for _, list := range []string{"initContainers", "containers"} {
		cs, _ := t.Spec[list].([]any)
		for _, c := range cs {
			m, _ := c.(map[string]any)
			if img, _ := m["image"].(string); to[img] != "" {
				m["image"] = to[img]
			}
		}
	}
}
