package cmd

import (
	"context"

	"github.com/spf13/cobra"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/osc-coco/kubectl-plugins/lib/cli"
	"github.com/osc-coco/kubectl-plugins/lib/clierr"
	"github.com/osc-coco/kubectl-plugins/lib/kube"
	"github.com/osc-coco/kubectl-plugins/lib/names"
	"github.com/osc-coco/kubectl-plugins/lib/tee/nodecheck"
	"github.com/osc-coco/kubectl-plugins/lib/tee/probe"
)

// NodeOptions judges named nodes, and with --deep probes their hosts with a short-lived pod.
type NodeOptions struct {
	g *cli.Globals
	verdictFlags
	nodeLister
	Names    []string
	AllNodes bool
	Selector string
	probe.Flags

	clients *kube.Clients
}

func newNodeCommand(g *cli.Globals) *cobra.Command {
	o := &NodeOptions{g: g, Flags: probe.NewFlags()}
	cmd := &cobra.Command{
		Use:   "node NAME... | --all-nodes [--deep]",
		Short: "TEE and CoCo readiness of one or more nodes; --deep probes the host",
		Long: `Judges nodes from their Node objects, like "nodes". With --deep it also runs a short-lived
probe pod on each node (not privileged: all capabilities dropped but CAP_SYSLOG, the runtime's
seccomp profile, host /proc, /sys and /dev mounted read-only, no service account token, no host
network) that prints the host's TEE evidence; the plugin reads the
pod's log, judges it, and deletes the pod, also on errors, timeouts and Ctrl-C.

--deep needs: create, watch, delete pods and get pods/log in the namespace (-n), and a
namespace whose Pod Security admission allows hostPath volumes (level privileged). Both are checked first.`,
		Example: `  kubectl teecheck node worker-1
  kubectl teecheck node worker-1 --deep -n kube-system
  kubectl teecheck node --all-nodes -l node.kubernetes.io/worker --deep --parallel 8 -o json
  kubectl teecheck node worker-1 --deep --image registry.example/mirror/busybox:1.37`,
		RunE: cli.RunE(o),
	}
	o.verdictFlags.addFlags(cmd, true)
	o.nodeLister.addFlags(cmd)
	f := cmd.Flags()
	f.BoolVar(&o.AllNodes, "all-nodes", false, "check every node (or those matching -l)")
	f.StringVarP(&o.Selector, "selector", "l", "", "with --all-nodes: label selector of the nodes")
	o.Flags.AddFlags(cmd.Flags())
	cmd.ValidArgsFunction = cli.CompleteNodes(o.g, 0)
	return cmd
}

// Complete reads the flags and the node names.
func (o *NodeOptions) Complete(args []string) error {
	o.Names = args
	if !o.Deep {
		if err := o.g.NoNamespace("-n names where --deep runs its probe pods; without --deep nothing is namespaced"); err != nil {
			return err
		}
	}
	if err := o.complete(o.g); err != nil {
		return err
	}
	return o.g.ClientsInto(&o.clients)
}

// Validate checks the arguments without touching the cluster.
func (o *NodeOptions) Validate() error {
	switch {
	case len(o.Names) == 0 && !o.AllNodes:
		return clierr.Usagef("name a node (kubectl get nodes lists them) or pass --all-nodes", "no node given")
	case len(o.Names) > 0 && o.AllNodes:
		return clierr.Usagef("drop the names or --all-nodes", "node names and --all-nodes exclude each other")
	case o.Selector != "" && !o.AllNodes:
		return clierr.Usagef("add --all-nodes, or use: kubectl teecheck nodes -l SELECTOR", "-l selects nodes only with --all-nodes")
	}
	if err := o.Flags.Validate(); err != nil {
		return err
	}
	for _, n := range o.Names {
		if errs := validation.IsDNS1123Subdomain(n); len(errs) > 0 {
			return clierr.Usagef("node names are DNS subdomains: kubectl get nodes lists them", "invalid node name %q: %s", n, errs[0])
		}
	}
	if _, err := labels.Parse(o.Selector); err != nil {
		return clierr.Usagef("use a label selector such as -l node.kubernetes.io/worker", "invalid selector %q: %v", o.Selector, err)
	}
	return o.nodeLister.validate()
}

// Run gets the nodes, judges them and, with --deep, probes them.
func (o *NodeOptions) Run(ctx context.Context) error {
	opts := nodecheck.Options{Require: o.require}
	reports, err := o.reports(ctx, opts)
	if err != nil {
		return err
	}
	if o.Deep && len(reports) > 0 {
		base := o.Flags.Options(o.clients.Namespace, "kubectl-"+PluginName)
		base.Notice = o.g.Note
		if err := probe.Nodes(ctx, o.clients.Kube, base, reports, opts, o.Parallel, o.g.ProgressFor(o.list.Format())); err != nil {
			return err
		}
	}
	return printNodeReports(o.g, &o.verdictFlags, reports, o.Selector, nil) // --deep changes the verdicts after they are read
}

// reports judges every node (--all-nodes) or the named ones.
func (o *NodeOptions) reports(ctx context.Context, opts nodecheck.Options) ([]nodecheck.Report, error) {
	if o.AllNodes {
		return o.evaluate(ctx, o.clients, o.Selector, opts, nil)
	}
	out := make([]nodecheck.Report, 0, len(o.Names))
	for _, name := range o.Names {
		n, err := o.clients.Kube.CoreV1().Nodes().Get(ctx, name, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			return nil, names.NodeMissing(ctx, o.clients.Kube, name)
		}
		if err != nil {
			return nil, clierr.FromAPI(err, clierr.Action{Verb: "get", Resource: "nodes", Name: name})
		}
		out = append(out, nodecheck.Evaluate(n, opts))
	}
	return out, nil
}
