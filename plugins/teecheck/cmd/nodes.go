package cmd

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/osc-coco/kubectl-plugins/lib/cli"
	"github.com/osc-coco/kubectl-plugins/lib/clierr"
	"github.com/osc-coco/kubectl-plugins/lib/garden/fleetflag"
	"github.com/osc-coco/kubectl-plugins/lib/kube"
	"github.com/osc-coco/kubectl-plugins/lib/output"
	"github.com/osc-coco/kubectl-plugins/lib/tee/nodecheck"
)

// NodesOptions judges every node from its Node object: one LIST, no privileges beyond it.
type NodesOptions struct {
	g *cli.Globals
	verdictFlags
	nodeLister
	Selector string
	// fleet is --shoots: the nodes of each shoot of a Gardener project instead (nil: none).
	fleet Fleet

	clients *kube.Clients
}

// Fleet is what nodes --shoots adds: the nodes of each shoot of a Gardener project. Package
// fleetcmd has it, linked only into teecheck-fleet, to which kubectl-teecheck hands command lines
// that give its flags (lib/cli.HelpedWhen): Gardener's packages start with no other command.
type Fleet interface {
	// AddFlags declares the flags (fleetflag.Declare) on the nodes command.
	AddFlags(cmd *cobra.Command)
	// Complete checks the flags and, with --shoots, connects to the garden.
	Complete(o *NodesOptions) error
	// On says whether --shoots was given.
	On() bool
	// Run reads the shoots' nodes and prints the report.
	Run(ctx context.Context, o *NodesOptions) error
}

func newNodesCommand(g *cli.Globals) *cobra.Command { return NewNodesCommand(g, &declaredFleet{}) }

// NewNodesCommand is "nodes", with --shoots done by fleet.
func NewNodesCommand(g *cli.Globals, fleet Fleet) *cobra.Command {
	o := &NodesOptions{g: g, fleet: fleet}
	cmd := &cobra.Command{
		Use:   "nodes [-l SELECTOR]",
		Short: "TEE and CoCo readiness of every node, from node labels and status",
		Example: `  kubectl teecheck nodes
  kubectl teecheck nodes -l node.kubernetes.io/worker -o wide
  kubectl teecheck nodes --require snp -o json
  kubectl teecheck nodes --shoots all -p eco --kubeconfig ~/.garden/osc.yaml`,
		Args: cli.NoArgs,
		RunE: cli.RunE(o),
	}
	o.verdictFlags.addFlags(cmd, true)
	o.nodeLister.addFlags(cmd)
	cmd.Flags().StringVarP(&o.Selector, "selector", "l", "", "label selector of the nodes to check (e.g. node.kubernetes.io/worker)")
	o.fleet.AddFlags(cmd)
	return cmd
}

// Complete reads the flags and builds the clients (tests set them instead).
func (o *NodesOptions) Complete([]string) error {
	if err := o.g.NoNamespace("nodes belong to no namespace (kubectl teecheck node --deep -n runs its probe pods there)"); err != nil {
		return err
	}
	if err := o.complete(o.g); err != nil {
		return err
	}
	if o.fleet != nil {
		if err := o.fleet.Complete(o); err != nil || o.fleet.On() {
			return err
		}
	}
	return o.g.ClientsInto(&o.clients)
}

// Validate checks the selector.
func (o *NodesOptions) Validate() error {
	if _, err := labels.Parse(o.Selector); err != nil {
		return clierr.Usagef("use a label selector such as -l node.kubernetes.io/worker or -l 'kubernetes.io/arch in (amd64,s390x)'",
			"invalid selector %q: %v", o.Selector, err)
	}
	return o.nodeLister.validate()
}

// Run lists the nodes once and prints the verdicts.
func (o *NodesOptions) Run(ctx context.Context) error {
	if o.fleet != nil && o.fleet.On() {
		return o.fleet.Run(ctx, o)
	}
	ahead := o.list.Ahead() // the verdicts are encoded while the next page is read
	reports, err := o.evaluate(ctx, o.clients, o.Selector, nodecheck.Options{Require: o.require}, ahead)
	if err != nil {
		return err
	}
	return printNodeReports(o.g, &o.verdictFlags, reports, o.Selector, ahead)
}

// printNodeReports prints the verdicts; ahead holds what was encoded of them while they were
// read (nil: nothing).
func printNodeReports(g *cli.Globals, v *verdictFlags, reports []nodecheck.Report, selector string, ahead *output.Ahead) error {
	l := newNodeReportList(reports)
	l.ahead = ahead
	if err := v.list.Print(g.Streams.Out, l); err != nil {
		return err
	}
	if len(reports) == 0 {
		what := "no nodes in the cluster"
		if selector != "" {
			what = fmt.Sprintf("no nodes match selector %q", selector)
		}
		return clierr.Failf("check the selector with kubectl get nodes --show-labels", "%s", what)
	}
	return cli.Verdict(l.Summary.NotReady == 0)
}

// Output is -o and --no-headers.
func (o *NodesOptions) Output() *output.Flags { return &o.out }

// Judge reads the nodes of the cluster c reaches (--selector, --chunk-size) and judges them
// (--require).
func (o *NodesOptions) Judge(ctx context.Context, c *kube.Clients) (*NodeReportList, error) {
	reports, err := o.evaluate(ctx, c, o.Selector, nodecheck.Options{Require: o.require}, nil)
	if err != nil {
		return nil, err
	}
	l := newNodeReportList(reports)
	return &l, nil
}

// declaredFleet declares the flags of --shoots and nothing more: kubectl-teecheck hands command
// lines that give them to teecheck-fleet before they are parsed here.
type declaredFleet struct {
	shoots, project, garden, configFile string
	parallel                            int
	noCache                             bool
	cmd                                 *cobra.Command
}

func (f *declaredFleet) AddFlags(cmd *cobra.Command) {
	f.cmd = cmd
	fleetflag.Declare(cmd.Flags(), fleetflag.Values{Shoots: &f.shoots, Project: &f.project, Garden: &f.garden,
		ConfigFile: &f.configFile, Parallel: &f.parallel, NoCache: &f.noCache})
	cli.HelpedWhen(cmd, Helper, fleetflag.Names...)
}

func (f *declaredFleet) Complete(*NodesOptions) error {
	for _, name := range fleetflag.Names {
		if f.cmd.Flags().Changed(name) {
			return fmt.Errorf("--%s is read by %s, which this command line did not reach", name, Helper)
		}
	}
	return nil
}

func (f *declaredFleet) On() bool { return false }

func (f *declaredFleet) Run(context.Context, *NodesOptions) error {
	return fmt.Errorf("--shoots is read by %s", Helper)
}
