// Package apply applies and deletes sets of manifests server-side, as "kubectl apply
// --server-side" does: namespaces and CRDs first (waiting until the CRDs are established), then
// everything else, with one field manager.
package apply

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/restmapper"
	"k8s.io/client-go/util/retry"

	"github.com/osc-coco/kubectl-plugins/lib/clierr"
	"github.com/osc-coco/kubectl-plugins/lib/waitfor"
)

// Parse splits multi-document YAML (or JSON) into objects, skipping empty documents.
func Parse(data []byte) ([]*unstructured.Unstructured, error) {
	dec := yaml.NewYAMLOrJSONDecoder(bytes.NewReader(data), 4096)
	var out []*unstructured.Unstructured
	for {
		var m map[string]any
		if err := dec.Decode(&m); err != nil {
			if errors.Is(err, io.EOF) {
				return out, nil
			}
			return nil, fmt.Errorf("manifest %d: %w", len(out)+1, err)
		}
		if len(m) == 0 {
			continue
		}
		u := &unstructured.Unstructured{Object: m}
		if u.GetKind() == "" || u.GetName() == "" {
			return nil, fmt.Errorf("manifest %d has no kind or name", len(out)+1)
		}
		out = append(out, u)
	}
}

// Applier applies manifests to one cluster.
type Applier struct {
	dyn    dynamic.Interface
	mapper *restmapper.DeferredDiscoveryRESTMapper
}

// New builds an Applier with clients of its own (Helm's preflight, tests).
func New(cfg *rest.Config) (*Applier, error) {
	dc, err := discovery.NewDiscoveryClientForConfig(cfg)
	if err != nil {
		return nil, err
	}
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return nil, err
	}
	return For(dyn, dc), nil
}

// For is an Applier on a cluster's clients: their dynamic client, and a REST mapper that reads
// the server's discovery once (and again when a kind is not found, e.g. after a CRD appeared).
func For(dyn dynamic.Interface, dc discovery.DiscoveryInterface) *Applier {
	return &Applier{dyn: dyn, mapper: restmapper.NewDeferredDiscoveryRESTMapper(memory.NewMemCacheClient(dc))}
}

// Options tune Apply.
type Options struct {
	FieldManager string
	// DryRun asks the server to check everything and save nothing.
	DryRun bool
	// KeepConflicts makes a field another manager owns an error instead of taking it over
	// (kubectl apply --server-side without --force-conflicts): for the user's own objects.
	KeepConflicts bool
	// Namespace is where namespaced objects without one go ("" for default), as kubectl's -n.
	Namespace string
	// Applied, if set, gets each object as the server returned it (with a dry run: as it
	// would be saved), in the order applied.
	Applied func(*unstructured.Unstructured)
}

// rank orders kinds so that what others need exists first.
func rank(u *unstructured.Unstructured) int {
	switch u.GetKind() {
	case "Namespace":
		return 0
	case "CustomResourceDefinition":
		return 1
	case "ServiceAccount", "ClusterRole", "Role":
		return 2
	case "ClusterRoleBinding", "RoleBinding", "ConfigMap", "Secret", "Service":
		return 3
	}
	return 4
}

// Apply applies the objects server-side (forcing conflicts, like kubectl apply
// --server-side --force-conflicts for a tool that owns these objects).
func (a *Applier) Apply(ctx context.Context, objs []*unstructured.Unstructured, o Options) error {
	sorted := slices.Clone(objs)
	slices.SortStableFunc(sorted, func(x, y *unstructured.Unstructured) int { return rank(x) - rank(y) })
	crdsDone := false
	for _, u := range sorted {
		if !crdsDone && rank(u) > 1 {
			if err := a.waitCRDs(ctx, sorted, o.DryRun); err != nil {
				return err
			}
			crdsDone = true
		}
		if err := a.applyOne(ctx, u, o); err != nil {
			return err
		}
	}
	return nil
}

func (a *Applier) resource(u *unstructured.Unstructured, defaultNS string) (dynamic.ResourceInterface, *meta.RESTMapping, error) {
	gvk := u.GroupVersionKind()
	m, err := a.mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
	if meta.IsNoMatchError(err) {
		a.mapper.Reset()
		m, err = a.mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
	}
	if err != nil {
		if meta.IsNoMatchError(err) {
			return nil, nil, &clierr.Error{Code: clierr.CodeFailure, Err: err, Msg: fmt.Sprintf("the cluster does not know %s (its CRD is missing)", gvk.Kind),
				Fix: "install the CRD first (it comes with the operator's manifests)"}
		}
		return nil, nil, err
	}
	if m.Scope.Name() == meta.RESTScopeNameNamespace {
		ns := u.GetNamespace()
		if ns == "" {
			ns = cmp.Or(defaultNS, metav1.NamespaceDefault)
		}
		return a.dyn.Resource(m.Resource).Namespace(ns), m, nil
	}
	return a.dyn.Resource(m.Resource), m, nil
}

func (a *Applier) applyOne(ctx context.Context, u *unstructured.Unstructured, o Options) error {
	ri, m, err := a.resource(u, o.Namespace)
	if err != nil {
		return err
	}
	opts := metav1.ApplyOptions{FieldManager: o.FieldManager, Force: !o.KeepConflicts}
	if o.DryRun {
		opts.DryRun = []string{metav1.DryRunAll}
	}
	// Right after a CRD is Established the API server can still answer 404 for its resource
	// for a moment (its handler is installed asynchronously): retry that case, briefly.
	err = retry.OnError(wait.Backoff{Steps: 8, Duration: 50 * time.Millisecond, Factor: 2, Cap: 2 * time.Second},
		func(err error) bool { return apierrors.IsNotFound(err) && ctx.Err() == nil },
		func() error {
			got, err := ri.Apply(ctx, u.GetName(), u, opts)
			if err == nil && o.Applied != nil && got != nil {
				o.Applied(got)
			}
			return err
		})
	if apierrors.IsConflict(err) && o.KeepConflicts {
		return &clierr.Error{Code: clierr.CodeFailure, Err: err,
			Msg: fmt.Sprintf("%s %s: fields are owned by another manager", u.GetKind(), u.GetName()),
			Fix: "take them over with --force-conflicts, or change them where they are managed"}
	}
	if err != nil {
		return clierr.FromAPI(err, clierr.Action{Verb: "patch", Resource: resourceName(m.Resource), Namespace: u.GetNamespace(), Name: u.GetName()})
	}
	return nil
}

func resourceName(r schema.GroupVersionResource) string {
	if r.Group == "" {
		return r.Resource
	}
	return r.Resource + "." + r.Group
}

// waitCRDs waits until every CRD among objs is established, so their kinds can be applied.
func (a *Applier) waitCRDs(ctx context.Context, objs []*unstructured.Unstructured, dryRun bool) error {
	if dryRun {
		return nil
	}
	crds := a.dyn.Resource(apiextensionsv1.SchemeGroupVersion.WithResource("customresourcedefinitions"))
	for _, u := range objs {
		if u.GetKind() != "CustomResourceDefinition" {
			continue
		}
		name := u.GetName()
		lw := waitfor.OnClient(a.dyn, waitfor.Named(crds, name))
		err := waitfor.UntilAll(ctx, lw, &unstructured.Unstructured{}, func(items []any) (bool, error) {
			for _, it := range items {
				conds, _, _ := unstructured.NestedSlice(it.(*unstructured.Unstructured).Object, "status", "conditions")
				for _, c := range conds {
					cm, _ := c.(map[string]any)
					if cm["type"] == "Established" && cm["status"] == "True" {
						return true, nil
					}
				}
			}
			return false, nil
		})
		if err != nil {
			return clierr.Wrap(err, "waiting for CRD %s to be established", name)
		}
	}
	a.mapper.Reset()
	return nil
}

// Delete deletes the objects, last applied first; missing ones are fine.
func (a *Applier) Delete(ctx context.Context, objs []*unstructured.Unstructured) error {
	sorted := slices.Clone(objs)
	slices.SortStableFunc(sorted, func(x, y *unstructured.Unstructured) int { return rank(y) - rank(x) })
	for _, u := range sorted {
		ri, m, err := a.resource(u, "")
		if err != nil {
			var e *clierr.Error
			if errors.As(err, &e) && strings.Contains(e.Msg, "CRD is missing") {
				continue
			}
			return err
		}
		if err := ri.Delete(ctx, u.GetName(), metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
			return clierr.FromAPI(err, clierr.Action{Verb: "delete", Resource: resourceName(m.Resource), Namespace: u.GetNamespace(), Name: u.GetName()})
		}
	}
	return nil
}

// YAML renders objects as one multi-document YAML stream.
func YAML(objs []*unstructured.Unstructured) ([]byte, error) {
	return Objects(objs).YAMLDocument()
}

// Objects prints as kubectl prints what it would apply: YAML documents (-o yaml, see
// output.Document), and a v1 List for -o json, -o name and the templates.
type Objects []*unstructured.Unstructured

// MarshalJSON is the v1 List.
func (objs Objects) MarshalJSON() ([]byte, error) {
	items := make([]map[string]any, len(objs))
	for i, u := range objs {
		items[i] = u.Object
	}
	return json.Marshal(map[string]any{"apiVersion": "v1", "kind": "List", "items": items})
}

// YAMLDocument is the objects as YAML documents.
func (objs Objects) YAMLDocument() ([]byte, error) {
	var b bytes.Buffer
	for _, u := range objs {
		data, err := marshalYAML(u.Object)
		if err != nil {
			return nil, err
		}
		b.WriteString("---\n")
		b.Write(data)
	}
	return b.Bytes(), nil
}

// Exists tells whether the object is on the server; a kind the server does not serve (a CRD not
// installed) does not exist. Other errors are returned.
func (a *Applier) Exists(ctx context.Context, u *unstructured.Unstructured) (bool, error) {
	ri, _, err := a.resource(u, "")
	var ce *clierr.Error
	if errors.As(err, &ce) && meta.IsNoMatchError(ce.Err) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	_, err = ri.Get(ctx, u.GetName(), metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return false, nil
	}
	return err == nil, err
}
