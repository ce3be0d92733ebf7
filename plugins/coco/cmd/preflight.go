package cmd

import (
	"context"
	"fmt"
	"io"
	"slices"

	"github.com/spf13/cobra"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/osc-coco/kubectl-plugins/lib/cli"
	"github.com/osc-coco/kubectl-plugins/lib/clierr"
	"github.com/osc-coco/kubectl-plugins/lib/kube"
	"github.com/osc-coco/kubectl-plugins/lib/output"
	"github.com/osc-coco/kubectl-plugins/lib/tee/nodecheck"
	"github.com/osc-coco/kubectl-plugins/lib/tee/probe"
	"github.com/osc-coco/kubectl-plugins/lib/tee/teeprint"
	"github.com/osc-coco/kubectl-plugins/plugins/coco/cmd/cmdutil"
	"github.com/osc-coco/kubectl-plugins/plugins/coco/preflight"
)

// PreflightOptions judges the cluster against CoCo's prerequisites.
type PreflightOptions struct {
	clients *kube.Clients // from the flags in Complete; tests set it
	g       *cli.Globals
	out     output.Flags
	probe.Flags

	printer *output.Printer[preflight.Report]
}

func newPreflightCommand(g *cli.Globals) *cobra.Command {
	o := &PreflightOptions{g: g, Flags: probe.NewFlags()}
	cmd := &cobra.Command{
		Use:   "preflight [--deep]",
		Short: "Check the cluster against CoCo's prerequisites",
		Long: `Checks the API server version, that at least one node is labelled node.kubernetes.io/worker
and passes every node check (kubelet >= 1.24, containerd >= 1.7 or CRI-O, >= 4 CPUs and 8 GiB,
a supported architecture), and which TEEs the workers have. --deep also probes every worker's
host with a short-lived pod (SELinux, KVM, TEE firmware and kernel; see kubectl teecheck).`,
		Example: `  kubectl coco preflight
  kubectl coco preflight --deep -n kube-system -o json`,
		Args: cli.NoArgs,
		RunE: cli.RunE(o),
	}
	o.out.AddFlags(cmd)
	o.Flags.AddFlags(cmd.Flags())
	return cmd
}

// Complete reads -o and builds the clients.
func (o *PreflightOptions) Complete([]string) error {
	if !o.Deep {
		if err := o.g.NoNamespace("-n names where --deep runs its probe pods; without --deep nothing is namespaced"); err != nil {
			return err
		}
	}
	var err error
	if o.printer, err = output.ToPrinter(&o.out, o.printHuman); err != nil {
		return err
	}
	return o.g.ClientsInto(&o.clients)
}

// Validate checks the probe flags.
func (o *PreflightOptions) Validate() error { return o.Flags.Validate() }

// Run gathers the verdict and prints it.
func (o *PreflightOptions) Run(ctx context.Context) error {
	c := o.clients
	v, err := c.Kube.Discovery().ServerVersion()
	if err != nil {
		return clierr.FromAPI(err, clierr.Action{Verb: "get", Resource: "/version"})
	}
	list, err := c.Kube.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	if err != nil {
		return clierr.FromAPI(err, clierr.Action{Verb: "list", Resource: "nodes"})
	}
	nodes := make([]nodecheck.Report, len(list.Items))
	for i := range list.Items {
		nodes[i] = nodecheck.Evaluate(&list.Items[i], nodecheck.Options{})
	}
	if o.Deep {
		// Only workers get CoCo's runtime: probe those.
		var workers []nodecheck.Report
		for _, n := range nodes {
			if n.Worker {
				workers = append(workers, n)
			}
		}
		base := o.Flags.Options(c.Namespace, cmdutil.ManagedBy)
		base.Notice = o.g.Note
		if err := probe.Nodes(ctx, c.Kube, base, workers, nodecheck.Options{}, o.Parallel, o.g.ProgressFor(o.printer.Format())); err != nil {
			return err
		}
		for _, w := range workers {
			nodes[slices.IndexFunc(nodes, func(n nodecheck.Report) bool { return n.Name == w.Name })] = w
		}
	}
	r := preflight.Evaluate(v.GitVersion, nodes)
	return cli.PrintVerdict(o.printer, o.g.Streams.Out, r, r.Ready)
}

func (o *PreflightOptions) printHuman(w io.Writer, r preflight.Report) error {
	pr := teeprint.Printer{W: w, P: o.g.Palette(w), Wide: o.printer.Format() == output.Wide, NoHeaders: o.out.NoHeaders}
	fmt.Fprintf(w, "%s API server %s, %d node(s)\n\n", pr.P.Bold("Cluster:"), r.ServerVersion, len(r.Nodes))
	if err := pr.CheckTable(r.Checks); err != nil {
		return err
	}
	if len(r.Nodes) > 0 {
		fmt.Fprintln(w)
		if err := pr.NodeTable(r.Nodes); err != nil {
			return err
		}
	}
	fixes := 0
	for _, c := range r.Checks {
		if c.Fix != "" && (c.Status == "fail" || c.Status == "warn" || c.Status == "unknown") {
			if fixes == 0 {
				fmt.Fprintf(w, "\n%s\n", pr.P.Bold("Fixes:"))
			}
			fixes++
			fmt.Fprintf(w, "  %s %s: %s\n", pr.Mark(c.Status), c.ID, c.Fix)
		}
	}
	if r.Ready {
		fmt.Fprintf(w, "\nVerdict: %s\n", pr.P.Good("the cluster is ready for CoCo"))
	} else {
		fmt.Fprintf(w, "\nVerdict: %s\n", pr.P.Bad("the cluster is not ready for CoCo"))
	}
	return nil
}
