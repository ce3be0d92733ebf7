package cmd

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/spf13/cobra"
	corev1 "k8s.io/api/core/v1"
	nodev1 "k8s.io/api/node/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/osc-coco/kubectl-plugins/lib/cli"
	"github.com/osc-coco/kubectl-plugins/lib/clierr"
	"github.com/osc-coco/kubectl-plugins/lib/kube"
	"github.com/osc-coco/kubectl-plugins/lib/output"
	"github.com/osc-coco/kubectl-plugins/lib/tee/nodecheck"
	"github.com/osc-coco/kubectl-plugins/lib/tee/teeprint"
	"github.com/osc-coco/kubectl-plugins/plugins/coco/catalog"
	"github.com/osc-coco/kubectl-plugins/plugins/coco/preflight"
)

// RuntimeClassesOptions lists the runtime classes and the nodes that can run each.
type RuntimeClassesOptions struct {
	clients *kube.Clients // from the flags in Complete; tests set it
	g       *cli.Globals
	out     output.Flags

	format output.Format
}

// RuntimeClassReport is one runtime class in "runtimeclasses -o json|yaml".
type RuntimeClassReport struct {
	Name         string            `json:"name"`
	Handler      string            `json:"handler"`
	Known        bool              `json:"known"`
	Class        *catalog.Class    `json:"catalog,omitempty"`
	Overhead     map[string]string `json:"overhead,omitempty"`
	NodeSelector map[string]string `json:"nodeSelector,omitempty"`
	// Nodes match the node selector and have the hardware; UnknownNodes match but their TEE
	// cannot be told from labels.
	Nodes        []string `json:"nodes"`
	UnknownNodes []string `json:"unknownNodes"`
}

// RuntimeClassList is the schema of "runtimeclasses -o json|yaml".
type RuntimeClassList struct {
	APIVersion string               `json:"apiVersion"`
	Kind       string               `json:"kind"`
	Items      []RuntimeClassReport `json:"items"`
}

func newRuntimeClassesCommand(g *cli.Globals) *cobra.Command {
	o := &RuntimeClassesOptions{g: g}
	cmd := &cobra.Command{
		Use:     "runtimeclasses",
		Aliases: []string{"runtimeclass", "rc"},
		Short:   "Runtime classes, what each is for, and which nodes can run it",
		Example: `  kubectl coco runtimeclasses
  kubectl coco runtimeclasses -o wide`,
		Args: cli.NoArgs,
		RunE: cli.RunE(o),
	}
	o.out.AddFlags(cmd)
	return cmd
}

// Complete reads -o and builds the clients.
func (o *RuntimeClassesOptions) Complete([]string) error {
	var err error
	if o.format, err = o.out.Format(); err != nil {
		return clierr.Usagef(output.FormatFix, "%v", err)
	}
	return o.g.ClientsInto(&o.clients)
}

// Validate has nothing more to check.
func (o *RuntimeClassesOptions) Validate() error { return nil }

// Run lists runtime classes and nodes (two LISTs) and prints which node can run what.
func (o *RuntimeClassesOptions) Run(ctx context.Context) error {
	c := o.clients
	rcs, err := c.Kube.NodeV1().RuntimeClasses().List(ctx, metav1.ListOptions{})
	if err != nil {
		return clierr.FromAPI(err, clierr.Action{Verb: "list", Resource: "runtimeclasses.node.k8s.io"})
	}
	nodes, err := c.Kube.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	if err != nil {
		return clierr.FromAPI(err, clierr.Action{Verb: "list", Resource: "nodes"})
	}
	l := RuntimeClassList{APIVersion: preflight.APIVersion, Kind: "RuntimeClassList", Items: Judge(rcs.Items, nodes.Items)}
	if o.format.Structured() {
		return output.Print(o.g.Streams.Out, o.format, l)
	}
	if len(l.Items) == 0 {
		fmt.Fprintln(o.g.Streams.ErrOut, "No runtime classes found: install CoCo with kubectl coco install")
		return nil
	}
	return o.print(l)
}

// Judge matches runtime classes with the nodes that can run them.
func Judge(rcs []nodev1.RuntimeClass, nodes []corev1.Node) []RuntimeClassReport {
	reports := make([]nodecheck.Report, len(nodes))
	for i := range nodes {
		reports[i] = nodecheck.Evaluate(&nodes[i], nodecheck.Options{})
	}
	out := make([]RuntimeClassReport, 0, len(rcs))
	for _, rc := range rcs {
		r := RuntimeClassReport{Name: rc.Name, Handler: rc.Handler, Nodes: []string{}, UnknownNodes: []string{}}
		if cl, ok := catalog.Lookup(rc.Name); ok {
			r.Known, r.Class = true, &cl
		}
		if rc.Overhead != nil && len(rc.Overhead.PodFixed) > 0 {
			r.Overhead = map[string]string{}
			for k, v := range rc.Overhead.PodFixed {
				r.Overhead[string(k)] = v.String()
			}
		}
		var sel labels.Selector = labels.Everything()
		if rc.Scheduling != nil && len(rc.Scheduling.NodeSelector) > 0 {
			r.NodeSelector = rc.Scheduling.NodeSelector
			sel = labels.SelectorFromSet(rc.Scheduling.NodeSelector)
		}
		for i, n := range nodes {
			if !sel.Matches(labels.Set(n.Labels)) {
				continue
			}
			fit := catalog.Yes
			if r.Class != nil {
				fit = catalog.HardwareFit(*r.Class, reports[i])
			}
			switch fit {
			case catalog.Yes:
				r.Nodes = append(r.Nodes, n.Name)
			case catalog.Maybe:
				r.UnknownNodes = append(r.UnknownNodes, n.Name)
			}
		}
		out = append(out, r)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

func (o *RuntimeClassesOptions) print(l RuntimeClassList) error {
	w := o.g.Streams.Out
	p := o.g.Palette(w)
	wide := o.format == output.Wide
	t := output.Table{Headers: []string{"name", "handler", "platform", "tee", "confidential", "nodes", "description"}, NoHeaders: o.out.NoHeaders}
	if wide {
		t.Headers = append(t.Headers, "overhead", "node-selector", "node-names")
	}
	var homeless []string
	for _, r := range l.Items {
		platform, teeKind, confidential, desc := "-", "-", "?", "not a CoCo runtime class"
		if r.Class != nil {
			platform, teeKind, confidential, desc = teeprint.Dash(strings.Join(r.Class.Arches, ",")), teeprint.Dash(string(r.Class.TEE)), teeprint.YesNo(r.Class.Confidential), r.Class.Description
			if r.Class.Name == "kata-remote" {
				platform = "any (peer pods)"
			}
		}
		nodes := output.Cell{Text: fmt.Sprint(len(r.Nodes)), Paint: p.Good}
		if len(r.UnknownNodes) > 0 {
			nodes.Text += fmt.Sprintf(" (+%d unknown)", len(r.UnknownNodes))
		}
		if len(r.Nodes) == 0 {
			nodes.Paint = p.Bad
			if len(r.UnknownNodes) > 0 {
				nodes.Paint = p.Warn
			} else {
				homeless = append(homeless, r.Name)
			}
		}
		row := []output.Cell{output.C(r.Name), output.C(r.Handler), output.C(platform), output.C(teeKind), output.C(confidential), nodes, output.C(desc)}
		if wide {
			row = append(row, output.C(teeprint.Dash(mapText(r.Overhead))), output.C(teeprint.Dash(mapText(r.NodeSelector))),
				output.C(teeprint.Dash(strings.Join(append(append([]string{}, r.Nodes...), r.UnknownNodes...), ","))))
		}
		t.Add(row...)
	}
	if err := t.Render(w); err != nil {
		return err
	}
	if len(homeless) > 0 {
		if o.out.NoHeaders { // the rows only on stdout: the note goes to stderr
			w = o.g.Streams.ErrOut
		}
		fmt.Fprintf(w, "\n%s no node can run %s (no node matches the node selector with the hardware it needs)\n",
			p.Bad("✗"), strings.Join(homeless, ", "))
	}
	return nil
}

func mapText(m map[string]string) string {
	var parts []string
	for k, v := range m {
		parts = append(parts, k+"="+v)
	}
	sort.Strings(parts)
	return strings.Join(parts, ",")
}

// ObjectNames gives -o name as kubectl names RuntimeClasses.
func (l RuntimeClassList) ObjectNames() []string {
	out := make([]string, 0, len(l.Items))
	for _, r := range l.Items {
		out = append(out, "runtimeclass.node.k8s.io/"+r.Name)
	}
	return out
}
