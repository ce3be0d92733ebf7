package helmcmd

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"
	networkingv1 "k8s.io/api/networking/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/osc-coco/kubectl-plugins/lib/cli"
	"github.com/osc-coco/kubectl-plugins/lib/clierr"
	"github.com/osc-coco/kubectl-plugins/lib/kube"
	"github.com/osc-coco/kubectl-plugins/lib/output"
	"github.com/osc-coco/kubectl-plugins/lib/report"
	"github.com/osc-coco/kubectl-plugins/plugins/demoingress/audit"
	"github.com/osc-coco/kubectl-plugins/plugins/demoingress/cmd"
	"github.com/osc-coco/kubectl-plugins/plugins/demoingress/controllers"
)

// Gardener's nginx addon in a shoot (gardener pkg/component/networking/nginxingress:
// deploymentNameController), switched by the Shoot's spec.addons.nginxIngress.enabled.
const (
	gardenerAddonNamespace  = "kube-system"
	gardenerAddonDeployment = "addons-nginx-ingress-controller"
	gardenerAddonField      = "spec.addons.nginxIngress.enabled"
)

// AuditOptions judges every Ingress for a move off ingress-nginx.
type AuditOptions struct {
	g       *cli.Globals
	out     output.Flags
	printer *output.Printer[AuditReport]
	clients *kube.Clients
	// releases is built on first use unless a test set it.
	releases releaseClients
}

// AuditReport is the schema of "audit -o json|yaml": the controllers found, then the audit.
type AuditReport struct {
	audit.Report
	Controllers []FoundController `json:"controllers"`
	// CannotTell lists what could not be read (forbidden, unreachable).
	CannotTell []string `json:"cannotTell,omitempty"`
}

// FoundController is an ingress controller serving class nginx, as found on the cluster.
type FoundController struct {
	Name    string `json:"name"`    // ingress-nginx, traefik, gardener-addon
	Source  string `json:"source"`  // helm release NS/NAME, or the Deployment
	Address string `json:"address"` // its load balancer's, "" if none
	Detail  string `json:"detail"`
}

func newAuditCommand(g *cli.Globals) *cobra.Command {
	o := &AuditOptions{g: g, out: output.Flags{Allowed: []output.Format{output.Human, output.JSON, output.YAML}}}
	cmd := &cobra.Command{
		Use:   "audit",
		Short: cmd.AuditShort,
		Long: `Finds the ingress controllers serving class nginx (this tool's Helm releases, and Gardener's
nginx addon), then lists every Ingress ingress-nginx serves with each nginx.ingress.kubernetes.io
annotation in buckets: served by Traefik's ingress-nginx provider (` + audit.TraefikSource + `),
convertible to the Gateway API by ingress2gateway (` + audit.GatewayAPISource + `), or neither
(snippets and the like), and the quirks that change behaviour on the way (regular-expression
paths per host, rewrite-target, trailing slashes, redirects to HTTPS). Values that may hold
secrets are redacted. Exit code 0 when Traefik serves every such Ingress (pass or warn), 1 when
one has an annotation it does not serve.`,
		Example: `  kubectl demoingress audit
  kubectl demoingress audit -o json | jq '.items[] | select(.status=="fail")'`,
		Args: cli.NoArgs,
		RunE: cli.RunE(o),
	}
	o.out.AddFlags(cmd)
	return cmd
}

// Complete reads -o and connects.
func (o *AuditOptions) Complete([]string) error {
	if err := o.g.NoNamespace("audit reads the Ingresses of all namespaces"); err != nil {
		return err
	}
	var err error
	if o.printer, err = output.ToPrinter(&o.out, o.printHuman); err != nil {
		return err
	}
	if o.releases == nil {
		o.releases = releaseClients{}
	}
	return o.g.ClientsInto(&o.clients)
}

// Validate has nothing to check.
func (o *AuditOptions) Validate() error { return nil }

// Run reads the Ingresses and classes, finds the controllers and prints the audit.
func (o *AuditOptions) Run(ctx context.Context) error {
	ings, classes, err := readIngresses(ctx, o.clients)
	if err != nil {
		return err
	}
	r := AuditReport{Report: audit.Audit(ings, classes)}
	r.APIVersion = cmd.APIVersion
	if r.Controllers, r.CannotTell, err = findNginxControllers(ctx, o.g, o.clients, o.releases); err != nil {
		return err
	}
	return cli.PrintVerdict(o.printer, o.g.Streams.Out, r, r.Ready && len(r.CannotTell) == 0)
}

// readIngresses lists every Ingress and IngressClass: an audit of what could not be read would
// call it absent, so a refusal is an error.
func readIngresses(ctx context.Context, c *kube.Clients) ([]networkingv1.Ingress, []networkingv1.IngressClass, error) {
	ings, err := c.Kube.NetworkingV1().Ingresses("").List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, nil, clierr.Wrap(clierr.FromAPI(err, clierr.Action{Verb: "list", Resource: "ingresses.networking.k8s.io"}), "the audit needs every Ingress")
	}
	classes, err := c.Kube.NetworkingV1().IngressClasses().List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, nil, clierr.Wrap(clierr.FromAPI(err, clierr.Action{Verb: "list", Resource: "ingressclasses.networking.k8s.io"}), "the audit needs the IngressClasses")
	}
	return ings.Items, classes.Items, nil
}

// findNginxControllers finds what serves class nginx: this tool's releases of ingress-nginx and
// Traefik, and Gardener's addon.
func findNginxControllers(ctx context.Context, g *cli.Globals, c *kube.Clients, rc releaseClients) ([]FoundController, []string, error) {
	found := []FoundController{}
	installed, cannotTell, err := findInstalled(ctx, g, c, rc, "")
	if err != nil {
		return nil, nil, err
	}
	for _, ic := range installed {
		if !ic.spec.ServesIngressNginx {
			continue
		}
		fc := FoundController{Name: ic.spec.Name, Source: fmt.Sprintf("helm release %s/%s", ic.spec.Namespace, ic.spec.Release)}
		if svc := ic.spec.ServiceIn(ic.release.Manifest); svc != "" {
			if s, err := c.Kube.CoreV1().Services(ic.spec.Namespace).Get(ctx, svc, metav1.GetOptions{}); err == nil {
				fc.Address = kube.LoadBalancerAddress(s)
				fc.Detail = "service " + ic.spec.Namespace + "/" + svc
			} else if !apierrors.IsNotFound(err) {
				cannotTell = append(cannotTell, clierr.CannotTell(err, clierr.Action{Verb: "get", Resource: "services", Namespace: ic.spec.Namespace, Name: svc}))
			}
		}
		if ic.spec.Name == controllers.IngressNginx {
			fc.Detail = strings.TrimPrefix(fc.Detail+"; retired: kubectl demoingress migrate moves it to Traefik", "; ")
		}
		found = append(found, fc)
	}
	addon, err := c.Kube.AppsV1().Deployments(gardenerAddonNamespace).Get(ctx, gardenerAddonDeployment, metav1.GetOptions{})
	switch {
	case err == nil:
		found = append(found, FoundController{Name: "gardener-addon", Source: "deployment " + gardenerAddonNamespace + "/" + addon.Name,
			Detail: "Gardener's nginx addon: switch it off in the Shoot (" + gardenerAddonField + ": false) once the move is done"})
	case !apierrors.IsNotFound(err):
		cannotTell = append(cannotTell, clierr.CannotTell(err, clierr.Action{Verb: "get", Resource: "deployments.apps", Namespace: gardenerAddonNamespace, Name: gardenerAddonDeployment})+" (Gardener's nginx addon)")
	}
	return found, cannotTell, nil
}

func (o *AuditOptions) printHuman(w io.Writer, r AuditReport) error {
	p := o.g.Palette(w)
	mark := func(s report.Status) string {
		switch s {
		case report.Pass:
			return p.Good("✓")
		case report.Warn:
			return p.Warn("!")
		case report.Fail:
			return p.Bad("✗")
		}
		return "-"
	}
	if len(r.Controllers) == 0 {
		fmt.Fprintln(w, "Controllers: none of this tool's, nor Gardener's addon, serves class nginx")
	}
	for _, c := range r.Controllers {
		fmt.Fprintf(w, "Controller:  %s (%s) address %s  %s\n", c.Name, c.Source, orNone(c.Address), c.Detail)
	}
	for _, u := range r.CannotTell {
		fmt.Fprintf(w, "%s %s\n", p.Warn("?"), u)
	}
	fmt.Fprintf(w, "Ingresses:   %d, served by ingress-nginx %d: %d pass, %d warn, %d fail  (judged against %s; %s)\n",
		r.Summary.Ingresses, r.Summary.IngressNginx, r.Summary.Pass, r.Summary.Warn, r.Summary.Fail, r.Sources.Traefik, r.Sources.GatewayAPI)
	for _, it := range r.Items {
		if !it.IngressNginx {
			continue
		}
		fmt.Fprintf(w, "\n%s %s/%s  class %s (%s)  %d host(s), %d path(s)\n", mark(it.Status), it.Namespace, it.Name, it.Class, it.ClassSource, it.Hosts, it.Paths)
		for _, a := range it.Annotations {
			fmt.Fprintf(w, "    %s %s=%s  traefik:%s gateway-api:%s  %s\n", mark(a.Status), strings.TrimPrefix(a.Name, "nginx.ingress.kubernetes.io/"), a.Value, a.Traefik, a.GatewayAPI, a.Detail)
		}
		for _, q := range it.Quirks {
			where := strings.TrimSpace(q.Host + " " + q.Path)
			fmt.Fprintf(w, "    %s quirk %s %s: %s\n", mark(q.Status), q.Name, where, q.Detail)
		}
	}
	return nil
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}
