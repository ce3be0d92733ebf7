package cmd

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/osc-coco/kubectl-plugins/lib/cli"
	"github.com/osc-coco/kubectl-plugins/lib/clierr"
	"github.com/osc-coco/kubectl-plugins/lib/kube"
	"github.com/osc-coco/kubectl-plugins/lib/output"
	"github.com/osc-coco/kubectl-plugins/plugins/demoingress/demoapp"
	"github.com/osc-coco/kubectl-plugins/plugins/demoingress/hops"
	"github.com/osc-coco/kubectl-plugins/plugins/demoingress/httpcheck"
)

// VerifyOptions proves the demo answers from outside.
type VerifyOptions struct {
	g       *cli.Globals
	out     output.Flags
	printer *output.Printer[VerifyReport]
	Timeout time.Duration
	Port    int
	Path    string

	clients *kube.Clients // built in Complete unless a test set them
}

// VerifyReport is the schema of "verify -o json|yaml".
type VerifyReport struct {
	APIVersion string            `json:"apiVersion"`
	Kind       string            `json:"kind"`
	OK         bool              `json:"ok"`
	Time       time.Time         `json:"time"`
	Route      string            `json:"route"`
	Address    string            `json:"address,omitempty"`
	URL        string            `json:"url,omitempty"`
	Hops       []hops.Hop        `json:"hops"`
	HTTP       *httpcheck.Result `json:"http,omitempty"`
}

func newVerifyCommand(g *cli.Globals) *cobra.Command {
	o := &VerifyOptions{g: g, out: output.Flags{Allowed: []output.Format{output.Human, output.JSON, output.YAML}}, Timeout: 3 * time.Minute, Port: 80}
	cmd := &cobra.Command{
		Use:   "verify [--timeout 3m]",
		Short: "Wait for the route's address and the demo pods, then request http://<address><path>",
		Long: `Follows the demo's route (Ingress demo-ip-ingress, or the Gateway) until it has an address and
the deployment until it is available, checks the service's endpoints, then requests
http://<address>:<port><path> with retries until --timeout. Prints each hop; when one fails it
says why (no address yet, pods not ready and why, no endpoints, HTTP status, connection refused,
no answer). Exit code 0 only for a 2xx answer. The result is recorded on the route for 'status'.`,
		Args: cli.NoArgs,
		RunE: cli.RunE(o),
	}
	o.out.AddFlags(cmd)
	cmd.Flags().DurationVar(&o.Timeout, "timeout", o.Timeout, "overall deadline")
	cmd.Flags().IntVar(&o.Port, "port", o.Port, "port of the address (80 for the guide's ingress)")
	cmd.Flags().StringVar(&o.Path, "path", "", "path to request (default: the route's path)")
	return cmd
}

// Complete reads -o.
func (o *VerifyOptions) Complete([]string) error {
	if err := o.g.NoNamespace("the demo lives in namespace demo"); err != nil {
		return err
	}
	var err error
	if o.printer, err = output.ToPrinter(&o.out, o.printHuman); err != nil {
		return err
	}
	return o.g.ClientsInto(&o.clients)
}

// Validate checks the flags.
func (o *VerifyOptions) Validate() error {
	if err := cli.CheckTimeout(o.Timeout, "3m"); err != nil {
		return err
	}
	if o.Port < 1 || o.Port > 65535 {
		return clierr.Usagef("e.g. --port 80", "--port %d is not a TCP port", o.Port)
	}
	return nil
}

// route is the demo's way in.
type route struct {
	kind, name, host, path, addr string
	exists                       bool
	// why the route has no address yet, when its status says (a Gateway not accepted)
	why string
}

// Run walks the hops.
func (o *VerifyOptions) Run(ctx context.Context) error {
	c := o.clients
	ctx, cancel := context.WithTimeout(ctx, o.Timeout)
	defer cancel()
	r := VerifyReport{APIVersion: APIVersion, Kind: "VerifyReport", Time: time.Now().UTC(), Hops: []hops.Hop{}}
	prog := o.g.ProgressFor(o.printer.Format())

	rt, err := o.waitRoute(ctx, c, prog)
	if err != nil {
		return err
	}
	r.Route, r.Address = rt.kind+"/"+rt.name, rt.addr
	routeHop := hops.Route(rt.kind, demoapp.Namespace, rt.name, rt.addr, rt.exists, rt.why)
	r.Hops = append(r.Hops, routeHop)

	dep, pods, err := o.waitDeployment(ctx, c, prog)
	if err != nil {
		return err
	}
	depHop := hops.Deployment(dep, pods)
	r.Hops = append(r.Hops, depHop)

	slices, err := c.Kube.DiscoveryV1().EndpointSlices(demoapp.Namespace).List(context.WithoutCancel(ctx), metav1.ListOptions{LabelSelector: discoveryv1.LabelServiceName + "=" + demoapp.App})
	if err != nil {
		return clierr.FromAPI(err, clierr.Action{Verb: "list", Resource: "endpointslices.discovery.k8s.io", Namespace: demoapp.Namespace})
	}
	r.Hops = append(r.Hops, hops.Endpoints(demoapp.App, slices.Items))

	if hops.ReadyForRequest(r.Hops) && ctx.Err() == nil {
		r.URL = hops.URL(rt.addr, o.Port, o.Path, rt.path)
		step := prog.Start("GET " + r.URL)
		res := httpcheck.Check(ctx, r.URL, httpcheck.Options{Host: rt.host, OnAttempt: func(a httpcheck.Result) {
			step.Update(fmt.Sprintf("GET %s: attempt %d: %s", r.URL, a.Attempts, a.Kind))
		}})
		if res.Kind == httpcheck.OK {
			step.Done(fmt.Sprintf("HTTP %d", res.Status))
		} else {
			step.Fail(res.Kind)
		}
		r.HTTP = &res
		r.Hops = append(r.Hops, hops.HTTP(res))
		r.OK = res.Kind == httpcheck.OK
	} else if ctx.Err() != nil && !errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return clierr.ErrInterrupted
	}
	o.record(c, rt, r)
	return cli.PrintVerdict(o.printer, o.g.Streams.Out, r, r.OK)
}

func (o *VerifyOptions) printHuman(w io.Writer, r VerifyReport) error {
	p := o.g.Palette(w)
	for _, h := range r.Hops {
		mark := p.Good("✓")
		if !h.Passed() {
			mark = p.Bad("✗")
		}
		fmt.Fprintf(w, "%s %-11s %s\n", mark, h.Name, h.Detail)
		if !h.Passed() && h.Fix != "" {
			fmt.Fprintf(w, "  %s %s\n", p.Faint("fix:"), h.Fix)
		}
	}
	if r.OK {
		fmt.Fprintln(w, p.Good("The demo answers from outside the cluster."))
	} else {
		fmt.Fprintln(w, p.Bad("The demo is not reachable: fix the first hop marked ✗."))
	}
	return nil
}

// record keeps the result on the route for "status" (best effort: a viewer may not patch).
func (o *VerifyOptions) record(c *kube.Clients, rt route, r VerifyReport) {
	if !rt.exists {
		return
	}
	summary := map[string]any{"time": r.Time.Format(time.RFC3339), "ok": r.OK, "url": r.URL}
	if len(r.Hops) > 0 {
		last := r.Hops[len(r.Hops)-1]
		for _, h := range r.Hops {
			if !h.Passed() {
				last = h
				break
			}
		}
		summary["detail"] = last.Detail
	}
	val, _ := json.Marshal(summary)
	patch, _ := json.Marshal(map[string]any{"metadata": map[string]any{"annotations": map[string]string{demoapp.LastVerification: string(val)}}})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if rt.kind == "ingress" {
		_, _ = c.Kube.NetworkingV1().Ingresses(demoapp.Namespace).Patch(ctx, rt.name, types.MergePatchType, patch, metav1.PatchOptions{FieldManager: "kubectl-demoingress-verify"})
		return
	}
	_, _ = c.Dynamic.Resource(GatewayGV.WithResource("gateways")).Namespace(demoapp.Namespace).Patch(ctx, rt.name, types.MergePatchType, patch, metav1.PatchOptions{FieldManager: "kubectl-demoingress-verify"})
}
