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
