package cmd

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/osc-coco/kubectl-plugins/lib/access"
	"github.com/osc-coco/kubectl-plugins/lib/cli"
	"github.com/osc-coco/kubectl-plugins/lib/clierr"
	"github.com/osc-coco/kubectl-plugins/lib/kube"
	"github.com/osc-coco/kubectl-plugins/lib/names"
	"github.com/osc-coco/kubectl-plugins/lib/output"
	"github.com/osc-coco/kubectl-plugins/lib/podrun"
	"github.com/osc-coco/kubectl-plugins/lib/tee/nodecheck"
	"github.com/osc-coco/kubectl-plugins/plugins/coco/catalog"
	"github.com/osc-coco/kubectl-plugins/plugins/coco/cmd/cmdutil"
	"github.com/osc-coco/kubectl-plugins/plugins/coco/preflight"
	"github.com/osc-coco/kubectl-plugins/plugins/coco/smoke"
)

// SmokeTestOptions runs a pod in a CoCo runtime class and shows whether it ran in a guest VM.
type SmokeTestOptions struct {
	g            *cli.Globals
	out          output.Flags
	RuntimeClass string
	Node         string
	Image        string
	PullPolicy   string
	Timeout      time.Duration

	printer *output.Printer[smoke.Result]
	clients *kube.Clients // built in Complete unless a test set them
}

func newSmokeTestCommand(g *cli.Globals) *cobra.Command {
	o := &SmokeTestOptions{g: g, Image: smoke.DefaultImage, PullPolicy: string(corev1.PullIfNotPresent), Timeout: 5 * time.Minute,
		out: output.Flags{Allowed: []output.Format{output.Human, output.JSON, output.YAML}}}
	cmd := &cobra.Command{
		Use:   "smoke-test [--runtime-class NAME]",
		Short: "Run a pod in a CoCo runtime class and show that it runs in a guest VM",
		Long: `Runs a pod that prints "uname -r" in a runtime class (default: the most confidential class
installed that a node's hardware can run, else kata-qemu-coco-dev), compares that kernel with
its node's, and deletes the pod on every exit path. A pod stuck because the node cannot start
its sandbox is reported with the kubelet's event.`,
		Example: `  kubectl coco smoke-test
  kubectl coco smoke-test --runtime-class kata-qemu-snp -n coco-tests --timeout 10m`,
		Args: cli.NoArgs,
		RunE: cli.RunE(o),
	}
	o.out.AddFlags(cmd)
	f := cmd.Flags()
	f.StringVar(&o.RuntimeClass, "runtime-class", "", "runtime class to test (default: the best the cluster's hardware supports)")
	f.StringVar(&o.Node, "node", "", "run on this node (default: let the scheduler choose)")
	f.StringVar(&o.Image, "image", o.Image, "image with uname (mirror it for air-gapped clusters)")
	f.StringVar(&o.PullPolicy, "image-pull-policy", o.PullPolicy, "Always, IfNotPresent or Never")
	f.DurationVar(&o.Timeout, "timeout", o.Timeout, "how long to wait for the pod (a guest VM's first start can take minutes)")
	_ = cmd.RegisterFlagCompletionFunc("runtime-class", cli.CompleteRuntimeClasses(o.g))
	_ = cmd.RegisterFlagCompletionFunc("node", cli.CompleteNodes(o.g, 0))
	return cmd
}

// Complete reads -o and connects to the cluster.
func (o *SmokeTestOptions) Complete([]string) error {
	var err error
	if o.printer, err = output.ToPrinter(&o.out, o.printHuman); err != nil {
		return err
	}
	return o.g.ClientsInto(&o.clients)
}

// Validate checks the flags without I/O.
func (o *SmokeTestOptions) Validate() error {
	if err := cli.CheckTimeout(o.Timeout, "5m"); err != nil {
		return err
	}
	switch {
	case o.Image == "":
		return clierr.Usagef("e.g. --image "+smoke.DefaultImage, "--image must not be empty")
	}
	switch corev1.PullPolicy(o.PullPolicy) {
	case corev1.PullAlways, corev1.PullIfNotPresent, corev1.PullNever:
	default:
		return clierr.Usagef("use Always, IfNotPresent or Never", "invalid --image-pull-policy %q", o.PullPolicy)
	}
	for flag, v := range map[string]string{"--runtime-class": o.RuntimeClass, "--node": o.Node} {
		if v != "" && v != "auto" {
			if err := names.Subdomain(flag, v); err != nil {
				return err
			}
		}
	}
	return nil
}

// Run chooses the class, runs the pod, and judges it.
func (o *SmokeTestOptions) Run(ctx context.Context) error {
	c := o.clients
	class, err := chooseRuntimeClass(ctx, c, o.RuntimeClass)
	if err != nil {
		return err
	}
	ns := c.Namespace
	if err := o.checkNames(ctx, ns); err != nil {
		return err
	}
	if err := access.Check(ctx, c.Kube,
		access.Request{Verb: "create", Resource: "pods", Namespace: ns}, access.Request{Verb: "watch", Resource: "pods", Namespace: ns},
		access.Request{Verb: "get", Resource: "pods", Subresource: "log", Namespace: ns}, access.Request{Verb: "delete", Resource: "pods", Namespace: ns}); err != nil {
		return clierr.Wrap(err, "the smoke test runs a pod in namespace %q", ns)
	}
	pod := smoke.Pod(smoke.PodOptions{Namespace: ns, RuntimeClass: class, Image: o.Image, PullPolicy: corev1.PullPolicy(o.PullPolicy),
		Node: o.Node, Deadline: o.Timeout + 30*time.Second, ManagedBy: cmdutil.ManagedBy})
	step := o.g.ProgressFor(o.printer.Format()).Start(fmt.Sprintf("running a pod in runtime class %s", class))
	res, err := podrun.Run(ctx, c.Kube, pod, podrun.Options{Timeout: o.Timeout, MaxLogBytes: 4096,
		OnStatus: func(s string) { step.Update("runtime class " + class + ": " + s) }})
	if err != nil {
		step.End(err, "")
		err = clierr.Wrap(err, "smoke test of runtime class %q", class)
		r := smoke.Result{APIVersion: preflight.APIVersion, Kind: "SmokeTestResult", RuntimeClass: class, Namespace: ns,
			Verdict: "failed: the pod did not run to its end", Error: err.Error()}
		if res != nil {
			r.Pod, r.Node = res.Name, res.Node
		}
		return cli.PrintFailed(o.printer, o.g.Streams.Out, r, err)
	}
	step.Done(res.Name + " finished on " + res.Node)
	node, err := c.Kube.CoreV1().Nodes().Get(ctx, res.Node, metav1.GetOptions{})
	if err != nil {
		return clierr.FromAPI(err, clierr.Action{Verb: "get", Resource: "nodes", Name: res.Node})
	}
	r := smoke.Result{APIVersion: preflight.APIVersion, Kind: "SmokeTestResult", RuntimeClass: class, Namespace: ns, Pod: res.Name, Node: res.Node,
		PodKernel: string(res.Log), NodeKernel: node.Status.NodeInfo.KernelVersion}
	r.GuestVM, r.Verdict = smoke.Judge(r.PodKernel, r.NodeKernel)
	r.PodKernel = strings.TrimRight(r.PodKernel, "\r\n ")
	return cli.PrintVerdict(o.printer, o.g.Streams.Out, r, r.GuestVM)
}

func (o *SmokeTestOptions) printHuman(w io.Writer, r smoke.Result) error {
	p := o.g.Palette(w)
	verdict := p.Good(r.Verdict)
	if !r.GuestVM {
		verdict = p.Bad(r.Verdict)
	}
	_, err := fmt.Fprintf(w, "Runtime class: %s\nPod:           %s/%s on node %s (deleted)\nPod kernel:    %s\nNode kernel:   %s\nVerdict:       %s\n",
		r.RuntimeClass, r.Namespace, r.Pod, r.Node, r.PodKernel, r.NodeKernel, verdict)
	return err
}

// checkNames checks the node and the namespace before a pod is made to wait on them: a pod
// pinned to a node that does not exist would wait the whole --timeout.
func (o *SmokeTestOptions) checkNames(ctx context.Context, ns string) error {
	if o.Node != "" {
		if err := names.Node(ctx, o.clients.Kube, o.Node); err != nil {
			return err
		}
	}
	return names.Namespace(ctx, o.clients.Kube, ns)
}

// chooseRuntimeClass checks that the requested class exists, or ("" or "auto") picks the most
// confidential installed class a worker's hardware can run.
func chooseRuntimeClass(ctx context.Context, c *kube.Clients, requested string) (string, error) {
	if requested != "" && requested != "auto" {
		return requested, names.RuntimeClass(ctx, c.Kube, requested)
	}
	rcs, err := c.Kube.NodeV1().RuntimeClasses().List(ctx, metav1.ListOptions{})
	if err != nil {
		return "", clierr.FromAPI(err, clierr.Action{Verb: "list", Resource: "runtimeclasses.node.k8s.io"})
	}
	nodes, err := c.Kube.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	if err != nil {
		return "", clierr.FromAPI(err, clierr.Action{Verb: "list", Resource: "nodes"})
	}
	var existing []string
	for _, rc := range rcs.Items {
		existing = append(existing, rc.Name)
	}
	reports := make([]nodecheck.Report, len(nodes.Items))
	for i := range nodes.Items {
		reports[i] = nodecheck.Evaluate(&nodes.Items[i], nodecheck.Options{})
	}
	best := catalog.Best(existing, reports)
	if !slices.Contains(existing, best) {
		return "", clierr.Failf("install CoCo with kubectl coco install, or pass --runtime-class",
			"no CoCo runtime class is installed (looked for %s)", best)
	}
	return best, nil
}
