package helmcmd

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/spf13/cobra"
	chart "helm.sh/helm/v4/pkg/chart/v2"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/osc-coco/kubectl-plugins/lib/cli"
	"github.com/osc-coco/kubectl-plugins/lib/clierr"
	"github.com/osc-coco/kubectl-plugins/lib/helmrelease"
	"github.com/osc-coco/kubectl-plugins/lib/kube"
	"github.com/osc-coco/kubectl-plugins/plugins/demoingress/audit"
	"github.com/osc-coco/kubectl-plugins/plugins/demoingress/cmd"
	"github.com/osc-coco/kubectl-plugins/plugins/demoingress/controllers"
	"github.com/osc-coco/kubectl-plugins/plugins/demoingress/httpcheck"
	"github.com/osc-coco/kubectl-plugins/plugins/demoingress/migration"
	"github.com/osc-coco/kubectl-plugins/plugins/demoingress/nginx"
)

// MigrateOptions moves a running ingress-nginx, its Ingresses and its floating IP to Traefik.
type MigrateOptions struct {
	g                 *cli.Globals
	SecondIP          string
	Port              int
	AcceptUnsupported bool
	ChartRepo, Chart  string
	Version           string
	GatewayAPICRDs    string
	Timeout           time.Duration
	DryRun            cli.DryRun
	Force             bool

	clients  *kube.Clients
	releases releaseClients

	old       installedController
	oldSvc    *corev1.Service
	ip        string // the floating IP to keep (the old Service's address)
	targets   []migration.Target
	install   *InstallOptions
	chart     *chart.Chart // Traefik's, loaded and checked once
	newSvc    string       // Traefik's Service
	installed bool         // this run installed Traefik (a rollback uninstalls it)
	// before holds the old controller's answers, compared with the new one's after the move.
	before map[migration.Target]*httpcheck.Result
}

func newMigrateCommand(g *cli.Globals) *cobra.Command {
	o := &MigrateOptions{g: g, Port: 80, GatewayAPICRDs: controllers.GatewayAPICRDs, Timeout: 10 * time.Minute}
	cmd := &cobra.Command{
		Use:   "migrate [--second-ip IP] [--dry-run]",
		Short: cmd.MigrateShort,
		Long: `Moves the Ingresses of class nginx from this tool's ingress-nginx release to Traefik with its
ingress-nginx provider, which serves them unchanged:

  1. audits every Ingress (kubectl demoingress audit); one with an annotation Traefik does not
     serve stops the move unless --accept-unsupported;
  2. installs Traefik beside ingress-nginx on a temporary address and keeps the IngressClass nginx
     when ingress-nginx goes (helm.sh/resource-policy: keep);
  3. requests every Ingress host and path through both and compares the answers;
  4. moves the floating IP: keep-floatingip on the old Service, deletes it, makes Traefik's
     Service anew with the IP (the OpenStack cloud controller reads loadBalancerIP only when it
     creates a load balancer, and allocates a NEW address when the one asked for is not free),
     and confirms the Service got exactly that IP;
  5. requests every Ingress again through the IP, then uninstalls ingress-nginx.

When a step after the old Service is deleted fails (or on Ctrl-C), it rolls back: the old
controller's Service is made again with the IP and Traefik is removed. With --second-ip, Traefik
gets another floating IP and ingress-nginx keeps serving: switch DNS, then delete ingress-nginx.
With Gardener's nginx addon on, it refuses: switch it off in the Shoot first.`,
		Example: `  kubectl demoingress audit
  kubectl demoingress migrate --dry-run
  kubectl demoingress migrate
  kubectl demoingress migrate --second-ip 160.44.12.40`,
		Args: cli.NoArgs,
		RunE: cli.RunE(o),
	}
	f := cmd.Flags()
	f.StringVar(&o.SecondIP, "second-ip", "", "give Traefik this floating IP and leave ingress-nginx serving (a DNS switch) instead of moving the IP")
	f.IntVar(&o.Port, "port", o.Port, "port the Ingresses are requested on")
	f.BoolVar(&o.AcceptUnsupported, "accept-unsupported", false, "move although an Ingress has an annotation Traefik does not serve (see kubectl demoingress audit)")
	f.StringVar(&o.ChartRepo, "chart-repo", "", "Traefik's chart repository URL (a mirror; default: Traefik's)")
	f.StringVar(&o.Chart, "chart", "", "Traefik's chart name or oci:// reference")
	f.StringVar(&o.Version, "version", "", "Traefik's chart version")
	f.StringVar(&o.GatewayAPICRDs, "gateway-api-crds", o.GatewayAPICRDs, "URL or file of the Gateway API install manifest, applied when the CRDs are absent")
	f.DurationVar(&o.Timeout, "timeout", o.Timeout, "how long each wait may take")
	cli.AddDryRunFlag(f, &o.DryRun, "audit, check and print the plan; change nothing")
	f.BoolVar(&o.Force, "force", false, "take over a Traefik release another run left pending")
	return cmd
}

// Complete connects.
func (o *MigrateOptions) Complete([]string) error {
	if err := o.g.NoNamespace("the controllers live in their own namespaces"); err != nil {
		return err
	}
	if o.releases == nil {
		o.releases = releaseClients{}
	}
	return o.g.ClientsInto(&o.clients)
}

// prepareInstall builds Traefik's install, run as steps of the move.
func (o *MigrateOptions) prepareInstall() error {
	tr, _ := controllers.Get(controllers.Traefik)
	hc, err := o.releases.in(o.g, o.clients, tr.Namespace)
	if err != nil {
		return err
	}
	// Beside ingress-nginx, Traefik writes the address that stays into the Ingress status.
	o.install = &InstallOptions{g: o.g, Controller: controllers.Traefik, ChartRepo: o.ChartRepo, Chart: o.Chart, Version: o.Version,
		GatewayAPICRDs: o.GatewayAPICRDs, LoadBalancerIP: o.SecondIP, KeepFloatingIP: o.SecondIP != "", Timeout: o.Timeout, Force: o.Force,
		clients: o.clients, releases: hc, quietNext: true, publishStatusAddress: o.ip}
	return o.install.Complete(nil)
}

// finalValues switches Traefik's install to its values after the move: the floating IP, kept,
// and its own Service's address in the Ingress status.
func (o *MigrateOptions) finalValues() error {
	in := o.install
	in.LoadBalancerIP, in.KeepFloatingIP, in.publishStatusAddress = o.ip, true, ""
	return in.Complete(nil)
}

// checkFinal renders the values of after the move now, before anything changes: a chart that
// would refuse them must not be found out with the old Service gone.
func (o *MigrateOptions) checkFinal(ctx context.Context) error {
	if o.SecondIP != "" {
		return nil
	}
	if err := o.finalValues(); err != nil {
		return err
	}
	rendered, err := o.install.renderAndCheck(ctx, o.chart)
	if err != nil {
		return err
	}
	if name := o.install.spec.ServiceIn(rendered.Manifest); name != o.newSvc {
		return clierr.Failf("install Traefik's chart as published", "Traefik's chart names its Service %q with the floating IP and %q without", name, o.newSvc)
	}
	o.install.LoadBalancerIP, o.install.KeepFloatingIP, o.install.publishStatusAddress = "", false, o.ip
	return o.install.Complete(nil)
}

// Validate checks the flags.
func (o *MigrateOptions) Validate() error {
	if err := o.DryRun.ClientOnly(); err != nil {
		return err
	}
	if err := nginx.ValidateIP(o.SecondIP); err != nil {
		return clierr.Usagef("pass the second floating IP as shown in your OpenStack project", "%v", strings.Replace(err.Error(), "--load-balancer-ip", "--second-ip", 1))
	}
	if o.Port < 1 || o.Port > 65535 {
		return clierr.Usagef("e.g. --port 80", "--port %d is not a TCP port", o.Port)
	}
	return cli.CheckTimeout(o.Timeout, "10m")
}

// Run audits, installs, compares, moves the IP and removes the old controller.
func (o *MigrateOptions) Run(ctx context.Context) error {
	if err := o.findOld(ctx); err != nil {
		return err
	}
	if err := o.prepareInstall(); err != nil {
		return err
	}
	if err := o.refuseServingTraefik(ctx); err != nil {
		return err
	}
	if err := o.auditIngresses(ctx); err != nil {
		return err
	}
	ch, rendered, err := o.install.loadAndCheck(ctx)
	if err != nil {
		return err
	}
	o.chart, o.newSvc = ch, o.install.spec.ServiceIn(rendered.Manifest)
	if err := o.checkFinal(ctx); err != nil {
		return err
	}
	extra, err := o.install.extraObjects(ctx)
	if err != nil {
		return err
	}
	if o.DryRun.On() {
		return o.printPlan()
	}
	if err := o.preflight(ctx, rendered, extra); err != nil {
		return err
	}
	if err := o.keepInRelease(ctx); err != nil {
		return err
	}
	if err := o.installTraefik(ctx, extra); err != nil {
		return err
	}
	return o.moveAndFinish(ctx)
}

// findOld finds this tool's ingress-nginx release, its Service and address; it refuses while
// Gardener's addon serves class nginx, or while the release is mid-change.
func (o *MigrateOptions) findOld(ctx context.Context) error {
	if _, err := o.clients.Kube.AppsV1().Deployments(gardenerAddonNamespace).Get(ctx, gardenerAddonDeployment, metav1.GetOptions{}); err == nil {
		return clierr.Failf("set "+gardenerAddonField+": false in the Shoot (kubectl edit shoot, or your Shoot manifest), wait for the reconcile, then migrate",
			"Gardener's nginx addon (deployment %s/%s) serves class nginx: it would fight Traefik over the Ingresses", gardenerAddonNamespace, gardenerAddonDeployment)
	} else if !apierrors.IsNotFound(err) {
		return clierr.Wrap(clierr.FromAPI(err, clierr.Action{Verb: "get", Resource: "deployments.apps", Namespace: gardenerAddonNamespace, Name: gardenerAddonDeployment}), "cannot tell whether Gardener's nginx addon runs")
	}
	found, cannotTell, err := findInstalled(ctx, o.g, o.clients, o.releases, controllers.IngressNginx)
	if err != nil {
		return err
	}
	if len(cannotTell) > 0 {
		return clierr.Failf("grant list on secrets in namespace "+nginx.Namespace, "%s", strings.Join(cannotTell, "; "))
	}
	if len(found) == 0 {
		return clierr.Failf("kubectl demoingress audit shows what serves class nginx; a controller this tool did not install, move by hand (kubectl demoingress install, then switch DNS)",
			"no ingress-nginx release %s/%s to migrate", nginx.Namespace, nginx.ReleaseName)
	}
	o.old = found[0]
	// Helm's pending states are a lock: taken over only when older than --timeout, or with
	// --force (the keep-policy upgrade does that, as install does); failed may be upgraded.
	if st := string(o.old.release.Info.Status); strings.HasPrefix(st, "pending") && !o.Force && time.Since(o.old.release.Info.LastDeployed) < o.Timeout {
		return clierr.Failf("wait for the other run; a run that was interrupted is taken over after --timeout, or now with --force",
			"release %s/%s is %s since %s: another run may still be changing it", nginx.Namespace, nginx.ReleaseName, st, o.old.release.Info.LastDeployed.Format(time.RFC3339))
	}
	name := o.old.spec.ServiceIn(o.old.release.Manifest)
	svc, err := o.clients.Kube.CoreV1().Services(nginx.Namespace).Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		return clierr.Wrap(clierr.FromAPI(err, clierr.Action{Verb: "get", Resource: "services", Namespace: nginx.Namespace, Name: name}), "reading ingress-nginx's Service")
	}
	o.oldSvc, o.ip = svc, kube.LoadBalancerAddress(svc)
	if o.SecondIP != "" && o.SecondIP == o.ip {
		return clierr.Usagef("pass another floating IP with --second-ip, or leave it out to move "+o.ip, "--second-ip %s is the IP ingress-nginx serves on", o.ip)
	}
	if net.ParseIP(o.ip) == nil {
		return clierr.Failf("without a floating IP there is none to keep: move by hand (helm -n "+nginx.Namespace+" uninstall "+nginx.ReleaseName+", then kubectl demoingress install, then switch DNS)",
			"service %s/%s has no external IP address (%q)", nginx.Namespace, name, o.ip)
	}
	return nil
}

// refuseServingTraefik: a Traefik that already has an address may already take traffic (a DNS
// switch under way); migrate would reconfigure it and take its Service.
func (o *MigrateOptions) refuseServingTraefik(ctx context.Context) error {
	in := o.install
	rel, err := in.releases.Get(ctx, in.spec.Release)
	if err != nil {
		return clierr.FromAPI(err, clierr.Action{Verb: "list", Resource: "secrets", Namespace: in.spec.Namespace})
	}
	if rel == nil {
		return nil
	}
	name := in.spec.ServiceIn(rel.Manifest)
	svc, err := o.clients.Kube.CoreV1().Services(in.spec.Namespace).Get(ctx, name, metav1.GetOptions{})
	switch {
	case apierrors.IsNotFound(err):
		return nil
	case err != nil:
		return clierr.Wrap(clierr.FromAPI(err, clierr.Action{Verb: "get", Resource: "services", Namespace: in.spec.Namespace, Name: name}), "cannot tell whether Traefik already serves")
	}
	if addr := kube.LoadBalancerAddress(svc); addr != "" {
		return clierr.Failf(fmt.Sprintf("point DNS at %s, then: kubectl demoingress delete --controller=ingress-nginx; or remove Traefik (kubectl demoingress delete --controller=traefik --wait) and migrate again", addr),
			"Traefik is installed already and serves on %s: migrate would take its Service", addr)
	}
	return nil
}

// auditIngresses judges every Ingress and lists the requests to compare.
func (o *MigrateOptions) auditIngresses(ctx context.Context) error {
	ings, classes, err := readIngresses(ctx, o.clients)
	if err != nil {
		return err
	}
	r := audit.Audit(ings, classes)
	o.targets = migration.Targets(r.Items, ings)
	out := o.g.Streams.Out
	fmt.Fprintf(out, "audit: %d Ingresses served by ingress-nginx: %d pass, %d warn, %d fail\n", r.Summary.IngressNginx, r.Summary.Pass, r.Summary.Warn, r.Summary.Fail)
	if r.Ready {
		return nil
	}
	var failing []string
	for _, it := range r.Items {
		if it.IngressNginx && it.Status == "fail" {
			failing = append(failing, it.Namespace+"/"+it.Name)
		}
	}
	if o.AcceptUnsupported {
		fmt.Fprintf(o.g.Streams.ErrOut, "Warning: Traefik does not serve every annotation of %s (--accept-unsupported)\n", strings.Join(failing, ", "))
		return nil
	}
	return clierr.Failf("kubectl demoingress audit names each annotation and what to do; fix them, or pass --accept-unsupported",
		"Traefik does not serve every annotation of %s; nothing was changed", strings.Join(failing, ", "))
}

func (o *MigrateOptions) printPlan() error {
	out := o.g.Streams.Out
	fmt.Fprintf(out, "plan (dry run, nothing changed):\n")
	fmt.Fprintf(out, "  install Traefik (%s %s) in namespace %s beside ingress-nginx", o.install.Chart, o.install.Version, o.install.spec.Namespace)
	if o.SecondIP != "" {
		fmt.Fprintf(out, " on floating IP %s\n", o.SecondIP)
	} else {
		fmt.Fprintln(out, " on a temporary address")
	}
	fmt.Fprintf(out, "  keep IngressClass nginx when ingress-nginx goes (%s: keep)\n", controllers.HelmKeep)
	probe := 0
	for _, t := range o.targets {
		if t.Skip == "" {
			probe++
		}
	}
	fmt.Fprintf(out, "  compare %d request(s) through both controllers (%d skipped)\n", probe, len(o.targets)-probe)
	if o.SecondIP != "" {
		fmt.Fprintf(out, "  leave ingress-nginx serving on %s: switch DNS to %s, then kubectl demoingress delete --controller=ingress-nginx\n", o.ip, o.SecondIP)
		return nil
	}
	fmt.Fprintf(out, "  move floating IP %s from service %s/%s to Traefik's, confirm it, compare again\n", o.ip, nginx.Namespace, o.oldSvc.Name)
	fmt.Fprintf(out, "  uninstall release %s/%s\n", nginx.Namespace, nginx.ReleaseName)
	return nil
}

// labelIngressClass marks the IngressClass nginx this tool's once ingress-nginx is gone (Traefik
// serves it; delete --controller=traefik removes it). Not before: ingress-nginx's chart sets the
// same label key, and a class its release still holds is not this tool's to delete.
func (o *MigrateOptions) labelIngressClass(ctx context.Context) error {
	classes := o.clients.Kube.NetworkingV1().IngressClasses()
	patch := fmt.Sprintf(`{"metadata":{"labels":{%q:%q}}}`, controllers.ManagedByLabel, controllers.ManagedBy)
	if _, err := classes.Patch(ctx, "nginx", "application/merge-patch+json", []byte(patch), metav1.PatchOptions{FieldManager: FieldManager}); err != nil && !apierrors.IsNotFound(err) {
		return clierr.FromAPI(err, clierr.Action{Verb: "patch", Resource: "ingressclasses.networking.k8s.io", Name: "nginx"})
	}
	return nil
}

// keepInRelease upgrades ingress-nginx's release so that its IngressClass carries the keep
// policy: Helm reads it from the release's manifest, not from the live object (pkg/action
// uninstall: filterManifestsToKeep), and the chart takes controller.ingressClassResource.annotations
// (ingress-nginx chart 4.15.1 templates/controller-ingressclass.yaml), checked on the render.
func (o *MigrateOptions) keepInRelease(ctx context.Context) error {
	rel := o.old.release
	path := []string{"controller", "ingressClassResource", "annotations", controllers.HelmKeep}
	if v, _, _ := unstructured.NestedString(rel.Config, path...); v == "keep" {
		return nil
	}
	vals := map[string]any{}
	if data, err := json.Marshal(rel.Config); err == nil { // a copy: the stored release stays as it is
		_ = json.Unmarshal(data, &vals)
	}
	if err := unstructured.SetNestedField(vals, "keep", path...); err != nil {
		return err
	}
	rendered, err := helmrelease.Render(ctx, rel.Chart, vals, rel.Name, nginx.Namespace)
	if err != nil {
		return clierr.Wrap(err, "rendering ingress-nginx's chart with the keep policy on its IngressClass")
	}
	if !nginx.IngressClassKept(rendered.Manifest) {
		return clierr.Failf("upgrade ingress-nginx to chart 4.15.1 first (kubectl demoingress install --controller ingress-nginx), or move by hand",
			"ingress-nginx's chart %s does not take controller.ingressClassResource.annotations: its IngressClass nginx would go with it; nothing was changed", rel.Chart.Metadata.Version)
	}
	if _, _, err := o.old.helm.Install(ctx, rel.Chart, vals, helmrelease.Options{Name: rel.Name, Timeout: o.Timeout, Notice: o.g.Note, TakeOverAfter: o.Timeout, Force: o.Force}); err != nil {
		if errors.Is(err, context.Canceled) {
			return &clierr.Error{Code: clierr.CodeInterrupted, Msg: "interrupted while upgrading ingress-nginx's release (the keep policy on its IngressClass); nothing else was changed",
				Fix: "run migrate again: it takes the interrupted upgrade over after --timeout, or at once with --force"}
		}
		return clierr.Wrap(clierr.FromAPI(err, clierr.Action{Verb: "update", Resource: "the release's objects", Namespace: nginx.Namespace}), "marking ingress-nginx's IngressClass to be kept")
	}
	if o.old.release, err = o.old.helm.Get(ctx, rel.Name); err != nil {
		return clierr.FromAPI(err, clierr.Action{Verb: "get", Resource: "secrets", Namespace: nginx.Namespace})
	}
	fmt.Fprintf(o.g.Streams.Out, "ingressclass nginx kept when ingress-nginx goes (release %s upgraded with %s: keep on it)\n", rel.Name, controllers.HelmKeep)
	return nil
}
