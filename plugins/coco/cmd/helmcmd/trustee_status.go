package helmcmd

import (
	"context"
	"fmt"
	"io"
	"maps"
	"net"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/watch"

	"github.com/osc-coco/kubectl-plugins/lib/access"
	"github.com/osc-coco/kubectl-plugins/lib/cli"
	"github.com/osc-coco/kubectl-plugins/lib/clierr"
	"github.com/osc-coco/kubectl-plugins/lib/helmrelease"
	"github.com/osc-coco/kubectl-plugins/lib/kube"
	"github.com/osc-coco/kubectl-plugins/lib/output"
	"github.com/osc-coco/kubectl-plugins/lib/progress"
	"github.com/osc-coco/kubectl-plugins/lib/report"
	"github.com/osc-coco/kubectl-plugins/lib/tee"
	"github.com/osc-coco/kubectl-plugins/lib/waitfor"
	"github.com/osc-coco/kubectl-plugins/plugins/coco/cmd/cmdutil"
	"github.com/osc-coco/kubectl-plugins/plugins/coco/cmd/trustee"
	"github.com/osc-coco/kubectl-plugins/plugins/coco/cocostatus"
	"github.com/osc-coco/kubectl-plugins/plugins/coco/trusteechart"
)

// kbsURL is the KBS as the cluster's nodes and pods reach it, from the exposing Service: its
// cluster IP, a worker's address with the node port, or the load balancer's address (waited
// for, with a watch).
func kbsURL(ctx context.Context, c *kube.Clients, ns, name, serviceType string, tls bool, prog *progress.Progress) (string, error) {
	scheme := "http://"
	if tls {
		scheme = "https://"
	}
	svcs := c.Kube.CoreV1().Services(ns)
	svc, err := svcs.Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		return "", clierr.FromAPI(err, clierr.Action{Verb: "get", Resource: "services", Namespace: ns, Name: name})
	}
	if len(svc.Spec.Ports) == 0 {
		return "", clierr.Failf("check the chart's KBS Service", "Service %s/%s has no port", ns, name)
	}
	port := svc.Spec.Ports[0]
	switch serviceType {
	case "NodePort":
		addr, err := workerAddress(ctx, c)
		if err != nil {
			return "", err
		}
		return scheme + net.JoinHostPort(addr, strconv.Itoa(int(port.NodePort))), nil
	case "LoadBalancer":
		step := prog.Start("waiting for the load balancer of Service " + name)
		_, err := waitfor.Until(ctx, waitfor.OnClient(c.Kube, waitfor.Named(svcs, name)), &corev1.Service{}, func(ev watch.Event) (bool, error) {
			if s, ok := ev.Object.(*corev1.Service); ok {
				svc = s
			}
			return kube.LoadBalancerAddress(svc) != "", nil
		})
		if err != nil {
			step.Fail("")
			return "", cmdutil.WaitError(err, "Service "+ns+"/"+name+" has no load balancer address", "check the cloud's load balancer (kubectl describe service -n "+ns+" "+name+")")
		}
		step.Done(kube.LoadBalancerAddress(svc))
		return scheme + net.JoinHostPort(kube.LoadBalancerAddress(svc), strconv.Itoa(int(port.Port))), nil
	}
	return scheme + net.JoinHostPort(svc.Spec.ClusterIP, strconv.Itoa(int(port.Port))), nil
}

// workerAddress is the internal IP of a worker node (any node without workers).
func workerAddress(ctx context.Context, c *kube.Clients) (string, error) {
	nodes, err := c.Kube.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	if err != nil {
		return "", clierr.FromAPI(err, clierr.Action{Verb: "list", Resource: "nodes"})
	}
	var fallback string
	for _, n := range nodes.Items {
		for _, a := range n.Status.Addresses {
			if a.Type != corev1.NodeInternalIP {
				continue
			}
			if _, worker := n.Labels[tee.WorkerLabel]; worker {
				return a.Address, nil
			}
			if fallback == "" {
				fallback = a.Address
			}
		}
	}
	if fallback == "" {
		return "", clierr.Failf("use --service-type LoadBalancer or ClusterIP", "no node has an internal IP for the NodePort URL")
	}
	return fallback, nil
}

// TrusteeStatus is the schema of "trustee status -o json|yaml".
type TrusteeStatus struct {
	APIVersion  string                     `json:"apiVersion"`
	Kind        string                     `json:"kind"`
	Installed   bool                       `json:"installed"`
	Method      string                     `json:"method,omitempty"` // chart, or operator (KbsConfig)
	Release     string                     `json:"release,omitempty"`
	Chart       string                     `json:"chart,omitempty"`
	Status      string                     `json:"status,omitempty"`
	Namespace   string                     `json:"namespace"`
	Deployments map[string]report.Replicas `json:"deployments"`
	KBSURL      string                     `json:"kbsURL,omitempty"`
	// Images are what the Deployments run (deployment/container: image); TLS: the KBS serves HTTPS.
	Images map[string]string `json:"images"`
	TLS    bool              `json:"tls"`
	// Warnings are risks that do not make Trustee unhealthy (images on a moving tag).
	Warnings []string `json:"warnings"`
	// KbsConfigs are the legacy trustee-operator's resources, when it is installed.
	KbsConfigs []string `json:"kbsConfigs"`
	Problems   []string `json:"problems"`
	CannotTell []string `json:"cannotTell"`
	Healthy    bool     `json:"healthy"`
}

// TrusteeStatusOptions shows what Trustee runs.
type TrusteeStatusOptions struct {
	g        *cli.Globals
	out      output.Flags
	printer  *output.Printer[TrusteeStatus]
	clients  *kube.Clients
	releases *helmrelease.Client
}

func newTrusteeStatusCommand(g *cli.Globals) *cobra.Command {
	o := &TrusteeStatusOptions{g: g, out: output.Flags{Allowed: []output.Format{output.Human, output.JSON, output.YAML}}}
	cmd := &cobra.Command{
		Use:   "status",
		Short: trustee.StatusShort,
		Args:  cli.NoArgs,
		RunE:  cli.RunE(o),
	}
	o.out.AddFlags(cmd)
	return cmd
}

// Complete reads -o and connects.
func (o *TrusteeStatusOptions) Complete([]string) error {
	var err error
	if o.printer, err = output.ToPrinter(&o.out, o.printHuman); err != nil {
		return err
	}
	return helmrelease.Connect(o.g, &o.clients, &o.releases, trusteeNamespace(o.g))
}

// Validate has nothing to check.
func (o *TrusteeStatusOptions) Validate() error { return nil }

// Run reads the release, its Deployments and the operator's KbsConfigs; exit 1 unless healthy.
func (o *TrusteeStatusOptions) Run(ctx context.Context) error {
	ns := trusteeNamespace(o.g)
	r := TrusteeStatus{APIVersion: "coco.osc-coco.io/v1alpha1", Kind: "TrusteeStatus", Namespace: ns, Deployments: map[string]report.Replicas{}, Images: map[string]string{}, Warnings: []string{},
		KbsConfigs: []string{}, Problems: []string{}, CannotTell: []string{}}
	rel, err := o.releases.Get(ctx, trusteechart.ReleaseName)
	if err != nil {
		return clierr.Wrap(clierr.FromAPI(err, clierr.Action{Verb: "list", Resource: "secrets", Namespace: ns}), "reading the Helm release")
	}
	if rel != nil {
		o.chartStatus(ctx, rel.Manifest, &r)
		r.Installed, r.Method, r.Release = true, "chart", rel.Name
		if rel.Chart != nil && rel.Chart.Metadata != nil {
			r.Chart = rel.Chart.Metadata.Name + "-" + rel.Chart.Metadata.Version
		}
		if rel.Info != nil {
			if r.Status = string(rel.Info.Status); r.Status != "deployed" {
				r.Problems = append(r.Problems, "release status is "+r.Status)
			}
		}
	}
	o.operatorStatus(ctx, &r)
	r.Healthy = r.Installed && len(r.Problems) == 0 && len(r.CannotTell) == 0
	for _, warn := range r.Warnings { // on stderr whatever -o is; the report keeps them too
		o.g.Warn(warn)
	}
	return cli.PrintVerdict(o.printer, o.g.Streams.Out, r, r.Healthy)
}

func (o *TrusteeStatusOptions) chartStatus(ctx context.Context, manifest string, r *TrusteeStatus) {
	rendered, err := trusteechart.CheckManifest(manifest, trusteechart.ReleaseName, "ClusterIP")
	if err != nil {
		r.Problems = append(r.Problems, "the release's manifest: "+err.Error())
		return
	}
	for _, name := range rendered.Deployments {
		d, err := o.clients.Kube.AppsV1().Deployments(r.Namespace).Get(ctx, name, metav1.GetOptions{})
		switch {
		case apierrors.IsNotFound(err):
			r.Problems = append(r.Problems, "deployment "+name+" (in the release's manifest) is missing")
		case err != nil:
			r.CannotTell = append(r.CannotTell, clierr.CannotTell(err, clierr.Action{Verb: "get", Resource: "deployments.apps", Namespace: r.Namespace, Name: name}))
		default:
			want := int32(1)
			if d.Spec.Replicas != nil {
				want = *d.Spec.Replicas
			}
			r.Deployments[name] = report.Replicas{Ready: d.Status.ReadyReplicas, Desired: want}
			for _, c := range d.Spec.Template.Spec.Containers {
				r.Images[name+"/"+c.Name] = c.Image
			}
			if !cocostatus.DeploymentAvailable(d) {
				r.Problems = append(r.Problems, "deployment "+name+" is not available")
			}
		}
	}
	if moving := trusteechart.Unpinned(r.Images); len(moving) > 0 {
		slices.Sort(moving)
		r.Warnings = append(r.Warnings, "images on a moving tag (what runs can change with any restart): "+strings.Join(moving, ", "))
	}
	r.TLS = trusteechart.ServesTLS(manifest)
	if u, err := kbsURL(ctx, o.clients, r.Namespace, rendered.KBSService, "ClusterIP", r.TLS, nil); err == nil {
		r.KBSURL = u
	} else {
		r.CannotTell = append(r.CannotTell, "cannot tell the KBS URL: "+err.Error())
	}
}

// operatorStatus lists the legacy operator's KbsConfigs: absent CRD means no operator.
func (o *TrusteeStatusOptions) operatorStatus(ctx context.Context, r *TrusteeStatus) {
	list, err := o.clients.Dynamic.Resource(trusteechart.KBSConfigGVR).List(ctx, metav1.ListOptions{})
	switch {
	case apierrors.IsNotFound(err):
		return
	case err != nil:
		r.CannotTell = append(r.CannotTell, clierr.CannotTell(err, clierr.Action{Verb: "list", Resource: "kbsconfigs.confidentialcontainers.org"}))
		return
	}
	for _, kc := range list.Items {
		r.KbsConfigs = append(r.KbsConfigs, kc.GetNamespace()+"/"+kc.GetName())
	}
	if len(r.KbsConfigs) > 0 && !r.Installed {
		r.Installed, r.Method = true, "operator"
		o.g.Note("Trustee runs through the legacy trustee-operator (KbsConfig " + strings.Join(r.KbsConfigs, ", ") + "); kubectl coco trustee install uses the Helm chart")
	}
}

func (o *TrusteeStatusOptions) printHuman(w io.Writer, r TrusteeStatus) error {
	if !r.Installed {
		_, err := fmt.Fprintf(w, "Trustee is not installed in namespace %s (kubectl coco trustee install --chart ...)\n", r.Namespace)
		return err
	}
	fmt.Fprintf(w, "Trustee: %s %s %s in %s, status %s\n", r.Method, r.Release, r.Chart, r.Namespace, r.Status)
	for _, name := range slices.Sorted(maps.Keys(r.Deployments)) {
		fmt.Fprintf(w, "  deployment %s: %s ready\n", name, r.Deployments[name])
	}
	for _, name := range slices.Sorted(maps.Keys(r.Images)) {
		fmt.Fprintf(w, "  image %s: %s\n", name, r.Images[name])
	}
	if r.KBSURL != "" {
		fmt.Fprintf(w, "KBS (in the cluster): %s\n", r.KBSURL)
	}
	for _, p := range append(r.Problems, r.CannotTell...) {
		fmt.Fprintln(w, "  problem: "+p)
	}
	return nil
}

// TrusteeUninstallOptions removes the release and kubectl coco's Secret.
type TrusteeUninstallOptions struct {
	g        *cli.Globals
	DryRun   cli.DryRun
	Timeout  time.Duration
	clients  *kube.Clients
	releases *helmrelease.Client
}

func newTrusteeUninstallCommand(g *cli.Globals) *cobra.Command {
	o := &TrusteeUninstallOptions{g: g, Timeout: 5 * time.Minute}
	cmd := &cobra.Command{
		Use:   "uninstall",
		Short: trustee.UninstallShort,
		Args:  cli.NoArgs,
		RunE:  cli.RunE(o),
	}
	cli.AddDryRunFlag(cmd.Flags(), &o.DryRun, "say what would be removed and remove nothing")
	cmd.Flags().DurationVar(&o.Timeout, "timeout", o.Timeout, "how long the uninstall may take")
	return cmd
}

// Complete connects.
func (o *TrusteeUninstallOptions) Complete([]string) error {
	return helmrelease.Connect(o.g, &o.clients, &o.releases, trusteeNamespace(o.g))
}

// Validate checks --timeout.
func (o *TrusteeUninstallOptions) Validate() error {
	if err := o.DryRun.ClientOnly(); err != nil {
		return err
	}
	if err := cli.CheckTimeout(o.Timeout, "5m"); err != nil {
		return err
	}
	return nil
}

// Run uninstalls; a second run finds nothing and says so.
func (o *TrusteeUninstallOptions) Run(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, o.Timeout)
	defer cancel()
	ns, out := trusteeNamespace(o.g), o.g.Streams.Out
	secret := trusteechart.SecretName(trusteechart.ReleaseName)
	rel, err := o.releases.Get(ctx, trusteechart.ReleaseName)
	if err != nil {
		return clierr.Wrap(clierr.FromAPI(err, clierr.Action{Verb: "list", Resource: "secrets", Namespace: ns}), "reading the Helm release")
	}
	nsObj, nsErr := o.clients.Kube.CoreV1().Namespaces().Get(ctx, ns, metav1.GetOptions{})
	// A namespace kubectl coco made is removed with the release; one being deleted is gone.
	ours := nsErr == nil && nsObj.Labels[cmdutil.ManagedByLabel] == cmdutil.ManagedBy && nsObj.DeletionTimestamp == nil
	if rel == nil && (apierrors.IsNotFound(nsErr) || !ours) {
		_, err := fmt.Fprintf(out, "Trustee is not installed in namespace %s: nothing to do\n", ns)
		return err
	}
	if o.DryRun.On() {
		fmt.Fprintf(out, "would uninstall release %s, delete Secret %s/%s", trusteechart.ReleaseName, ns, secret)
		if ours {
			fmt.Fprintf(out, " and namespace %s", ns)
		}
		_, err := fmt.Fprintln(out)
		return err
	}
	if err := access.Check(ctx, o.clients.Kube, access.Request{Verb: "delete", Resource: "secrets", Namespace: ns},
		access.Request{Verb: "delete", Group: "apps", Resource: "deployments", Namespace: ns}, access.Request{Verb: "delete", Resource: "namespaces"}); err != nil {
		return clierr.Wrap(err, "uninstalling Trustee needs these permissions")
	}
	if rel != nil {
		if _, err := o.releases.Uninstall(ctx, trusteechart.ReleaseName, o.Timeout); err != nil {
			return clierr.Wrap(clierr.FromAPI(err, clierr.Action{Verb: "delete", Resource: "the release's objects", Namespace: ns}), "uninstalling %s", trusteechart.ReleaseName)
		}
	}
	for _, name := range []string{secret, trusteechart.TLSSecretName(trusteechart.ReleaseName)} {
		if err := o.clients.Kube.CoreV1().Secrets(ns).Delete(ctx, name, metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
			return clierr.FromAPI(err, clierr.Action{Verb: "delete", Resource: "secrets", Namespace: ns, Name: name})
		}
	}
	if ours {
		if err := o.clients.Kube.CoreV1().Namespaces().Delete(ctx, ns, metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
			return clierr.FromAPI(err, clierr.Action{Verb: "delete", Resource: "namespaces", Name: ns})
		}
	}
	fmt.Fprintf(out, "Trustee uninstalled: release %s and Secret %s removed", trusteechart.ReleaseName, secret)
	if ours {
		fmt.Fprintf(out, ", namespace %s deleted", ns)
	}
	fmt.Fprintln(out)
	if p, err := trustee.DefaultAdminKeyPath(); err == nil {
		o.g.Note("the admin key file stays (" + p + "); a new install with it gives the KBS the same admin key")
	}
	return nil
}
