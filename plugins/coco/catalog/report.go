package catalog

import (
	"context"
	"sort"

	corev1 "k8s.io/api/core/v1"
	nodev1 "k8s.io/api/node/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/kubernetes"

	"github.com/osc-coco/kubectl-plugins/lib/clierr"
	"github.com/osc-coco/kubectl-plugins/lib/tee/nodecheck"
	"github.com/osc-coco/kubectl-plugins/plugins/coco/preflight"
)

// RuntimeClassReport is one runtime class of the cluster and the nodes that can run it.
type RuntimeClassReport struct {
	Name         string            `json:"name"`
	Handler      string            `json:"handler"`
	Known        bool              `json:"known"`
	Class        *Class            `json:"catalog,omitempty"`
	Overhead     map[string]string `json:"overhead,omitempty"`
	NodeSelector map[string]string `json:"nodeSelector,omitempty"`
	// Nodes match the node selector and have the hardware; UnknownNodes match but their TEE
	// cannot be told from labels.
	Nodes        []string `json:"nodes"`
	UnknownNodes []string `json:"unknownNodes"`
}

// RuntimeClassList is the schema of "runtimeclasses -o json|yaml" (and what install reports).
type RuntimeClassList struct {
	APIVersion string               `json:"apiVersion"`
	Kind       string               `json:"kind"`
	Items      []RuntimeClassReport `json:"items"`
}

// ObjectNames gives -o name as kubectl names RuntimeClasses.
func (l RuntimeClassList) ObjectNames() []string {
	out := make([]string, 0, len(l.Items))
	for _, r := range l.Items {
		out = append(out, "runtimeclass.node.k8s.io/"+r.Name)
	}
	return out
}

// Gather lists the runtime classes and the nodes (two LISTs) and judges them.
func Gather(ctx context.Context, cs kubernetes.Interface) (RuntimeClassList, error) {
	rcs, err := cs.NodeV1().RuntimeClasses().List(ctx, metav1.ListOptions{})
	if err != nil {
		return RuntimeClassList{}, clierr.FromAPI(err, clierr.Action{Verb: "list", Resource: "runtimeclasses.node.k8s.io"})
	}
	nodes, err := cs.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	if err != nil {
		return RuntimeClassList{}, clierr.FromAPI(err, clierr.Action{Verb: "list", Resource: "nodes"})
	}
	return RuntimeClassList{APIVersion: preflight.APIVersion, Kind: "RuntimeClassList", Items: Judge(rcs.Items, nodes.Items)}, nil
}

// Judge matches runtime classes with the nodes that can run them: a node must match the
// class's node selector and have the hardware the class needs.
func Judge(rcs []nodev1.RuntimeClass, nodes []corev1.Node) []RuntimeClassReport {
	reports := make([]nodecheck.Report, len(nodes))
	for i := range nodes {
		reports[i] = nodecheck.Evaluate(&nodes[i], nodecheck.Options{})
	}
	out := make([]RuntimeClassReport, 0, len(rcs))
	for _, rc := range rcs {
		r := describe(rc)
		sel := labels.Everything()
		if len(r.NodeSelector) > 0 {
			sel = labels.SelectorFromSet(r.NodeSelector)
		}
		for i, n := range nodes {
			if !sel.Matches(labels.Set(n.Labels)) {
				continue
			}
			fit := Yes
			if r.Class != nil {
				fit = HardwareFit(*r.Class, reports[i])
			}
			switch fit {
			case Yes:
				r.Nodes = append(r.Nodes, n.Name)
			case Maybe:
				r.UnknownNodes = append(r.UnknownNodes, n.Name)
			}
		}
		out = append(out, r)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// describe is a runtime class's report before its nodes are matched.
func describe(rc nodev1.RuntimeClass) RuntimeClassReport {
	r := RuntimeClassReport{Name: rc.Name, Handler: rc.Handler, Nodes: []string{}, UnknownNodes: []string{}}
	if cl, ok := Lookup(rc.Name); ok {
		r.Known, r.Class = true, &cl
	}
	if rc.Overhead != nil && len(rc.Overhead.PodFixed) > 0 {
		r.Overhead = map[string]string{}
		for k, v := range rc.Overhead.PodFixed {
			r.Overhead[string(k)] = v.String()
		}
	}
	if rc.Scheduling != nil && len(rc.Scheduling.NodeSelector) > 0 {
		r.NodeSelector = rc.Scheduling.NodeSelector
	}
	return r
}
