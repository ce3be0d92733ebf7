package cmd

import (
	"context"
	"encoding/json"
	"fmt"
	"io"

	"github.com/spf13/cobra"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/osc-coco/kubectl-plugins/lib/access"
	"github.com/osc-coco/kubectl-plugins/lib/cli"
	"github.com/osc-coco/kubectl-plugins/lib/clierr"
	"github.com/osc-coco/kubectl-plugins/lib/kube"
	"github.com/osc-coco/kubectl-plugins/lib/names"
	"github.com/osc-coco/kubectl-plugins/lib/output"
	"github.com/osc-coco/kubectl-plugins/lib/tee"
	"github.com/osc-coco/kubectl-plugins/plugins/coco/cmd/cmdutil"
	"github.com/osc-coco/kubectl-plugins/plugins/coco/preflight"
)

// LabelWorkersOptions adds node.kubernetes.io/worker= to nodes that lack it.
type LabelWorkersOptions struct {
	clients  *kube.Clients // from the flags in Complete; tests set it
	g        *cli.Globals
	out      output.Flags
	Names    []string
	Selector string
	All      bool
	DryRun   cli.DryRun

	printer *output.Printer[LabelResultList]
}

// LabelResult is one node's outcome; the list is printed with -o json|yaml.
type LabelResult struct {
	Node   string `json:"node"`
	Result string `json:"result"` // labelled, unchanged, would-label
}

// LabelResultList is the schema of "label-workers -o json|yaml".
type LabelResultList struct {
	APIVersion string        `json:"apiVersion"`
	Kind       string        `json:"kind"`
	DryRun     string        `json:"dryRun"`
	Items      []LabelResult `json:"items"`
}

func newLabelWorkersCommand(g *cli.Globals) *cobra.Command {
	o := &LabelWorkersOptions{g: g, DryRun: cli.DryRunNone, out: output.Flags{Allowed: []output.Format{output.Human, output.JSON, output.YAML}}}
	cmd := &cobra.Command{
		Use:   "label-workers NODE... | -l SELECTOR | --all",
		Short: "Label nodes node.kubernetes.io/worker, where CoCo installs its runtime",
		Example: `  kubectl coco label-workers worker-1 worker-2
  kubectl coco label-workers -l node.kubernetes.io/instance-type=vm-dedicated-16-64
  kubectl coco label-workers --all --dry-run`,
		RunE: cli.RunE(o),
	}
	o.out.AddFlags(cmd)
	cmd.Flags().StringVarP(&o.Selector, "selector", "l", "", "label the nodes matching this selector")
	cmd.Flags().BoolVar(&o.All, "all", false, "label every node")
	cli.AddDryRunFlag(cmd.Flags(), &o.DryRun, `"client" shows what would change without asking the server, "server" lets the server check the change without saving it`)
	cmd.ValidArgsFunction = cli.CompleteNodes(o.g, 0)
	return cmd
}

// Complete reads the node names and -o.
func (o *LabelWorkersOptions) Complete(args []string) error {
	if err := o.g.NoNamespace("nodes belong to no namespace"); err != nil {
		return err
	}
	o.Names = args
	var err error
	if o.printer, err = output.ToPrinter(&o.out, o.printHuman); err != nil {
		return err
	}
	return o.g.ClientsInto(&o.clients)
}

// Validate checks that exactly one way of choosing nodes is used.
func (o *LabelWorkersOptions) Validate() error {
	ways := 0
	for _, set := range []bool{len(o.Names) > 0, o.Selector != "", o.All} {
		if set {
			ways++
		}
	}
	if ways != 1 {
		return clierr.Usagef("e.g. kubectl coco label-workers worker-1, or -l SELECTOR, or --all", "choose the nodes one way: names, -l or --all")
	}
	for _, n := range o.Names {
		if errs := validation.IsDNS1123Subdomain(n); len(errs) > 0 {
			return clierr.Usagef("node names are DNS subdomains: kubectl get nodes lists them", "invalid node name %q: %s", n, errs[0])
		}
	}
	if _, err := labels.Parse(o.Selector); err != nil {
		return clierr.Usagef("use a label selector such as -l node-role=worker", "invalid selector %q: %v", o.Selector, err)
	}
	return nil
}

// Run labels the nodes that need it. Every named node is read before anything changes, so a
// typo changes nothing.
func (o *LabelWorkersOptions) Run(ctx context.Context) error {
	c := o.clients
	var nodes []corev1.Node
	if len(o.Names) > 0 {
		for _, name := range o.Names {
			n, err := c.Kube.CoreV1().Nodes().Get(ctx, name, metav1.GetOptions{})
			if apierrors.IsNotFound(err) {
				return names.NodeMissing(ctx, c.Kube, name)
			}
			if err != nil {
				return clierr.FromAPI(err, clierr.Action{Verb: "get", Resource: "nodes", Name: name})
			}
			nodes = append(nodes, *n)
		}
	} else {
		list, err := c.Kube.CoreV1().Nodes().List(ctx, metav1.ListOptions{LabelSelector: o.Selector})
		if err != nil {
			return clierr.FromAPI(err, clierr.Action{Verb: "list", Resource: "nodes"})
		}
		nodes = list.Items
		if len(nodes) == 0 {
			return clierr.Failf("check the selector with kubectl get nodes --show-labels", "no nodes match selector %q", o.Selector)
		}
	}
	if o.DryRun != cli.DryRunClient {
		if err := access.Check(ctx, c.Kube, access.Request{Verb: "patch", Resource: "nodes"}); err != nil {
			return err
		}
	}
	patch, _ := json.Marshal(map[string]any{"metadata": map[string]any{"labels": map[string]string{tee.WorkerLabel: ""}}})
	res := LabelResultList{APIVersion: preflight.APIVersion, Kind: "LabelWorkersResult", DryRun: string(o.DryRun), Items: []LabelResult{}}
	for _, n := range nodes {
		r := LabelResult{Node: n.Name}
		switch _, has := n.Labels[tee.WorkerLabel]; {
		case has:
			r.Result = "unchanged"
		case o.DryRun == cli.DryRunClient:
			r.Result = "would-label"
		default:
			opts := metav1.PatchOptions{FieldManager: cmdutil.ManagedBy}
			if o.DryRun == cli.DryRunServer {
				opts.DryRun = []string{metav1.DryRunAll}
			}
			if _, err := c.Kube.CoreV1().Nodes().Patch(ctx, n.Name, types.MergePatchType, patch, opts); err != nil {
				return clierr.FromAPI(err, clierr.Action{Verb: "patch", Resource: "nodes", Name: n.Name})
			}
			r.Result = "labelled"
			if o.DryRun == cli.DryRunServer {
				r.Result = "would-label"
			}
		}
		res.Items = append(res.Items, r)
	}
	return o.printer.Print(o.g.Streams.Out, res)
}

func (o *LabelWorkersOptions) printHuman(w io.Writer, res LabelResultList) error {
	suffix := ""
	if cli.DryRun(res.DryRun).On() {
		suffix = fmt.Sprintf(" (dry run: %s)", res.DryRun)
	}
	for _, r := range res.Items {
		what := map[string]string{"labelled": "labelled", "unchanged": "unchanged (already a worker)", "would-label": "would be labelled"}[r.Result]
		fmt.Fprintf(w, "node/%s %s%s\n", r.Node, what, suffix)
	}
	return nil
}
