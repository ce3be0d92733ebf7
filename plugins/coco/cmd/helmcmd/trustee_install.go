package helmcmd

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"
	chart "helm.sh/helm/v4/pkg/chart/v2"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/watch"

	"github.com/osc-coco/kubectl-plugins/lib/access"
	"github.com/osc-coco/kubectl-plugins/lib/atomicfile"
	"github.com/osc-coco/kubectl-plugins/lib/cli"
	"github.com/osc-coco/kubectl-plugins/lib/clierr"
	"github.com/osc-coco/kubectl-plugins/lib/helmrelease"
	"github.com/osc-coco/kubectl-plugins/lib/kube"
	"github.com/osc-coco/kubectl-plugins/lib/output"
	"github.com/osc-coco/kubectl-plugins/lib/progress"
	"github.com/osc-coco/kubectl-plugins/lib/waitfor"
	"github.com/osc-coco/kubectl-plugins/plugins/coco/cmd/cmdutil"
	"github.com/osc-coco/kubectl-plugins/plugins/coco/cmd/trustee"
	"github.com/osc-coco/kubectl-plugins/plugins/coco/cocostatus"
	"github.com/osc-coco/kubectl-plugins/plugins/coco/kbs"
	"github.com/osc-coco/kubectl-plugins/plugins/coco/trusteechart"
)

// TrusteeInstallOptions installs Trustee with its Helm chart.
type TrusteeInstallOptions struct {
	g           *cli.Globals
	out         output.Flags
	Chart       string
	Version     string
	PlainHTTP   bool
	ServiceType string
	Sets        []string
	AdminKey    string
	DryRun      cli.DryRun
	Timeout     time.Duration
	Force       bool
	// InsecureHTTP keeps the KBS on plain HTTP where the chart offers native TLS.
	InsecureHTTP bool

	printer     *output.Printer[TrusteeInstallResult]
	planPrinter *output.Printer[TrusteeInstallPlan] // --dry-run
	clients     *kube.Clients
	releases    *helmrelease.Client
}

// TrusteeInstallResult is the schema of "trustee install -o json|yaml".
type TrusteeInstallResult struct {
	APIVersion  string   `json:"apiVersion"`
	Kind        string   `json:"kind"`
	Release     string   `json:"release"`
	Namespace   string   `json:"namespace"`
	Chart       string   `json:"chart"`
	Outcome     string   `json:"outcome"`
	Deployments []string `json:"deployments"`
	Service     string   `json:"service"`
	// KBSURL is the KBS as the cluster's nodes and pods reach it (what initdata needs).
	KBSURL string `json:"kbsURL"`
	// AdminKey is the file with the administrator's private key (never printed).
	AdminKey string `json:"adminKey"`
	// Trustee is the release whose images run (the pinned one, or "user-set").
	Trustee string `json:"trustee"`
	// Images are the Deployments' containers' images (deployment/container: image).
	Images map[string]string `json:"images"`
	// TLS: the KBS serves HTTPS with a certificate of kubectl coco's CA, KBSCert (its PEM file:
	// initdata's kbs_cert, the trustee commands' --kbs-cert).
	TLS     bool   `json:"tls"`
	KBSCert string `json:"kbsCert,omitempty"`
}

func newTrusteeInstallCommand(g *cli.Globals) *cobra.Command {
	o := &TrusteeInstallOptions{g: g, ServiceType: "ClusterIP", Timeout: 10 * time.Minute,
		out: output.Flags{Allowed: []output.Format{output.Human, output.JSON, output.YAML}}}
	cmd := &cobra.Command{
		Use:   "install --chart PATH|URL|oci://... [--service-type ClusterIP|NodePort|LoadBalancer]",
		Short: trustee.InstallShort,
		Long: `Installs Trustee's Helm chart (deployment/helm-chart of the trustee repository; it is not
published to a registry: give a checkout's folder, a .tgz URL or your mirror with --chart) as
release "trustee" (namespace -n, default trustee), with the chart's own key generation off:
the administrator's Ed25519 key is made here and kept in a 0600 file under your config
directory (never printed, never in the cluster); the cluster gets its public half, and the
attestation service's token key, in a Secret the chart mounts. The chart is held to the
contract kubectl coco knows (` + "chart 0.18.0 of trustee v0.21.0, or 0.21.x of trustee main after it" + `: its values and
its KBS configuration) before anything is applied, and its images are pinned to the Trustee
release kubectl coco speaks to (v0.21.0; the chart's own default is :latest, pulled Always),
unless you set them (--set kbs.image.tag=...).

Where the chart offers native KBS TLS (0.21), the KBS serves HTTPS with a certificate of a small
CA of yours (made here, its key kept 0600 beside the admin key): guests trust it through
initdata's kbs_cert, the admin commands through --kbs-cert. --insecure-http keeps plain HTTP.
Waits until the KBS, AS and RVPS Deployments are available, then prints the KBS URL the
nodes reach (the Service of --service-type). Re-running changes nothing.`,
		Example: `  kubectl coco trustee install --chart ./trustee/deployment/helm-chart
  kubectl coco trustee install --chart ./trustee/deployment/helm-chart --service-type LoadBalancer --dry-run`,
		Args: cli.NoArgs,
		RunE: cli.RunE(o),
	}
	o.out.AddFlags(cmd)
	f := cmd.Flags()
	f.StringVar(&o.Chart, "chart", "", "Trustee's chart: a folder, an http(s) .tgz URL or oci://REGISTRY/REPO")
	f.StringVar(&o.Version, "version", "", "chart version (oci:// and repositories)")
	f.BoolVar(&o.PlainHTTP, "plain-http", false, "talk to an oci:// registry over plain HTTP")
	f.StringVar(&o.ServiceType, "service-type", o.ServiceType, "how the KBS is exposed: ClusterIP, NodePort or LoadBalancer")
	f.StringArrayVar(&o.Sets, "set", nil, "chart value key=value (repeatable, as helm --set)")
	f.StringVar(&o.AdminKey, "admin-key", "", "the administrator's Ed25519 private key (PEM) (default: kubectl coco's own, made on first use)")
	cli.AddDryRunFlag(f, &o.DryRun, "print what would be applied and apply nothing")
	f.DurationVar(&o.Timeout, "timeout", o.Timeout, "how long the whole install may take")
	f.BoolVar(&o.Force, "force", false, "take over a release another run left pending")
	f.BoolVar(&o.InsecureHTTP, "insecure-http", false, "keep the KBS on plain HTTP where the chart offers native TLS")
	_ = cmd.RegisterFlagCompletionFunc("service-type", cobra.FixedCompletions(trusteechart.ServiceTypes, cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

func trusteeNamespace(g *cli.Globals) string {
	if ns := g.ConfigFlags.Namespace; ns != nil && *ns != "" {
		return *ns
	}
	return trusteechart.Namespace
}

// Complete reads -o and connects.
func (o *TrusteeInstallOptions) Complete([]string) error {
	var err error
	if o.printer, err = output.ToPrinter(&o.out, o.printHuman); err != nil {
		return err
	}
	if o.planPrinter, err = output.ToPrinter(&o.out, printTrusteePlan); err != nil {
		return err
	}
	return helmrelease.Connect(o.g, &o.clients, &o.releases, trusteeNamespace(o.g))
}

// Validate checks the flags without I/O.
func (o *TrusteeInstallOptions) Validate() error {
	if err := o.DryRun.ClientOnly(); err != nil {
		return err
	}
	if err := cli.CheckTimeout(o.Timeout, "10m"); err != nil {
		return err
	}
	switch {
	case o.Chart == "":
		return clierr.Usagef("give a checkout's chart folder: --chart ./trustee/deployment/helm-chart (git clone -b v0.21.0 https://github.com/confidential-containers/trustee)",
			"--chart is required: Trustee's chart is not published to a registry")
	}
	for _, t := range trusteechart.ServiceTypes {
		if o.ServiceType == t {
			return nil
		}
	}
	return clierr.Usagef("use ClusterIP, NodePort or LoadBalancer", "invalid --service-type %q", o.ServiceType)
}

// Run checks the chart, keeps the admin key, applies the Secret and the release, and waits.
func (o *TrusteeInstallOptions) Run(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, o.Timeout)
	defer cancel()
	ns, prog := trusteeNamespace(o.g), o.g.ProgressFor(o.printer.Format())
	p, err := o.plan(ctx, ns, prog)
	if err != nil {
		return err
	}
	if o.DryRun.On() {
		return o.printPlan(ctx, p, ns)
	}
	need := []access.Request{{Verb: "create", Resource: "namespaces"},
		{Verb: "create", Resource: "secrets", Namespace: ns}, {Verb: "create", Group: "apps", Resource: "deployments", Namespace: ns},
		{Verb: "create", Resource: "services", Namespace: ns}, {Verb: "create", Resource: "configmaps", Namespace: ns}}
	if p.tls { // a certificate that no longer covers the KBS's address is re-issued
		need = append(need, access.Request{Verb: "update", Resource: "secrets", Namespace: ns})
	}
	if err := access.Check(ctx, o.clients.Kube, need...); err != nil {
		return clierr.Wrap(err, "installing Trustee needs these permissions")
	}
	key, err := o.adminKey(ctx, ns)
	if err != nil {
		return err
	}
	ca, err := o.kbsCA(p.tls)
	if err != nil {
		return err
	}
	r := TrusteeInstallResult{APIVersion: "coco.osc-coco.io/v1alpha1", Kind: "TrusteeInstallResult", Release: trusteechart.ReleaseName, Namespace: ns,
		Chart: p.chart.Metadata.Name + "-" + p.chart.Metadata.Version, Deployments: p.rendered.Deployments, Service: p.rendered.Exposed, AdminKey: key.path,
		Trustee: p.release.Trustee, Images: p.rendered.Images, TLS: p.tls}
	if len(trusteechart.UserImages(o.Sets)) > 0 || r.Trustee == "" {
		r.Trustee = "user-set"
	}
	if r.Outcome, err = o.apply(ctx, ns, p.chart, p.vals, key, prog); err != nil {
		return err
	}
	if r.KBSURL, err = kbsURL(ctx, o.clients, ns, p.rendered.Exposed, o.ServiceType, p.tls, prog); err != nil {
		return err
	}
	if p.tls {
		if r.KBSCert, err = o.ensureTLSSecret(ctx, ns, ca, p.rendered, r.KBSURL); err != nil {
			return err
		}
	}
	if err := o.waitAvailable(ctx, ns, p.rendered.Deployments, prog); err != nil {
		return err
	}
	if key.created {
		o.g.Note("created the KBS admin key " + key.path + " (mode 0600; the trustee commands sign with it; keep it)")
	}
	return o.printer.Print(o.g.Streams.Out, r)
}

// installPlan is what install decided before it applies anything.
type installPlan struct {
	chart    *chart.Chart
	release  trusteechart.Release // the known release the chart is (zero for another)
	vals     map[string]any
	rendered *trusteechart.Rendered
	tls      bool
}

// plan loads the chart and holds it, its values and its rendering to the contract.
func (o *TrusteeInstallOptions) plan(ctx context.Context, ns string, prog *progress.Progress) (*installPlan, error) {
	step := prog.Start("loading chart " + o.Chart)
	ch, err := helmrelease.LoadChart(ctx, helmrelease.Source{Ref: o.Chart, Version: o.Version, PlainHTTP: o.PlainHTTP})
	if err != nil {
		step.End(err, "")
		return nil, err
	}
	step.Done(ch.Metadata.Name + " " + ch.Metadata.Version)
	refuse := func(err error, fix string) error {
		return &clierr.Error{Code: clierr.CodeFailure, Msg: fmt.Sprintf("chart %s %s: %v; nothing was applied", ch.Metadata.Name, ch.Metadata.Version, err), Fix: fix}
	}
	useSupported := "use " + trusteechart.SupportedRange()
	p := &installPlan{chart: ch}
	known, ok := trusteechart.Known(ch.Metadata.Version)
	user := trusteechart.UserImages(o.Sets)
	if !ok && len(user) < len(trusteechart.Components) {
		return nil, refuse(fmt.Errorf("not a chart version kubectl coco knows, and it would run its own default images"),
			useSupported+", or name every image: --set kbs.image.tag=T --set as.image.tag=T --set rvps.image.tag=T")
	}
	if err := trusteechart.CheckValues(ch.Values, known); err != nil {
		return nil, refuse(err, useSupported)
	}
	p.release, p.tls = known, o.decideTLS(known)
	if p.vals, err = helmrelease.Values(trusteechart.Values(trusteechart.ReleaseName, o.ServiceType, p.tls, trusteechart.PinImages(known, user)), nil, o.Sets); err != nil {
		return nil, clierr.Usagef("use --set key=value", "%v", err)
	}
	rel, err := helmrelease.Render(ctx, ch, p.vals, trusteechart.ReleaseName, ns)
	if err != nil {
		return nil, refuse(err, useSupported)
	}
	if p.rendered, err = trusteechart.CheckManifest(rel.Manifest, trusteechart.ReleaseName, o.ServiceType); err != nil {
		return nil, refuse(err, useSupported)
	}
	if err := trusteechart.CheckKBSConfig(rel.Manifest, p.tls); err != nil {
		return nil, refuse(err, useSupported)
	}
	o.noteImages(p, ok)
	return p, nil
}

// decideTLS: HTTPS where the chart offers it, unless --insecure-http; plain HTTP is said.
func (o *TrusteeInstallOptions) decideTLS(r trusteechart.Release) bool {
	const clear = "the KBS listens on plain HTTP: admin tokens and the resource values you set cross the network in the clear " +
		"(guests receive resources encrypted to their TEE key either way)"
	switch {
	case r.TLS && !o.InsecureHTTP:
		return true
	case r.TLS:
		o.g.Warn(clear + " (--insecure-http)")
	default:
		o.g.Warn(clear + "; this chart has no native KBS TLS (Trustee's chart 0.21 from main has: kubectl coco then serves HTTPS)")
	}
	return false
}

// noteImages says what the rendered release will run when it is not the pinned release.
func (o *TrusteeInstallOptions) noteImages(p *installPlan, known bool) {
	if !known {
		o.g.Note(fmt.Sprintf("chart %s is not one kubectl coco was checked against (%s); it runs the images you set, and its values and KBS configuration passed the contract check",
			p.chart.Metadata.Version, trusteechart.SupportedRange()))
	}
	if moving := trusteechart.Unpinned(p.rendered.Images); len(moving) > 0 {
		slices.Sort(moving)
		o.g.Warn("images on a moving tag, so what runs can change with any restart: " + strings.Join(moving, ", ") +
			"; kubectl coco speaks to Trustee " + trusteechart.Releases[0].Trustee + " (leave the images unset to pin them)")
	}
}

func (o *TrusteeInstallOptions) printPlan(ctx context.Context, p *installPlan, ns string) error {
	rel, err := helmrelease.Render(ctx, p.chart, p.vals, trusteechart.ReleaseName, ns)
	if err != nil {
		return err
	}
	plan := TrusteeInstallPlan{Manifest: helmrelease.ManifestWithHooks(rel), Notes: []string{fmt.Sprintf(
		"Secret %s/%s (the admin public key, the attestation service's token key and certificate chain) is created first", ns, trusteechart.SecretName(trusteechart.ReleaseName))}}
	if p.tls {
		plan.Notes = append(plan.Notes, fmt.Sprintf("Secret %s/%s (the KBS's TLS certificate, issued by your CA for its Service's names and address) follows the Services",
			ns, trusteechart.TLSSecretName(trusteechart.ReleaseName)))
	}
	return o.planPrinter.Print(o.g.Streams.Out, plan)
}

// TrusteeInstallPlan is what "trustee install --dry-run" prints: the rendered manifest (-o yaml
// and the table print it, its notes as YAML comments) and what is created besides it.
type TrusteeInstallPlan struct {
	Notes    []string `json:"notes"`
	Manifest string   `json:"manifest"`
}

// YAMLDocument makes -o yaml the commented manifest.
func (p TrusteeInstallPlan) YAMLDocument() ([]byte, error) {
	var b strings.Builder
	for _, n := range p.Notes {
		b.WriteString("# " + n + "\n")
	}
	return []byte(b.String() + p.Manifest), nil
}

func printTrusteePlan(w io.Writer, p TrusteeInstallPlan) error {
	data, _ := p.YAMLDocument()
	_, err := w.Write(data)
	return err
}

// adminKeyFile is the administrator's key: read, or made now (written once the cluster's
// Secret agrees with it).
type adminKeyFile struct {
	key     ed25519.PrivateKey
	path    string
	created bool
}

// adminKey reads or makes the key and holds it to the Secret already in the cluster: a Secret
// with another admin key means the KBS trusts a key this run does not have.
func (o *TrusteeInstallOptions) adminKey(ctx context.Context, ns string) (*adminKeyFile, error) {
	k := &adminKeyFile{path: o.AdminKey}
	if k.path == "" {
		p, err := trustee.DefaultAdminKeyPath()
		if err != nil {
			return nil, clierr.Usagef("pass --admin-key FILE", "no config directory for the admin key: %v", err)
		}
		k.path = p
	}
	data, err := os.ReadFile(k.path)
	switch {
	case err == nil:
		if k.key, err = kbs.ParsePrivateKey(data); err != nil {
			return nil, clierr.Usagef("give an Ed25519 private key (PEM)", "%s: %v", k.path, err)
		}
	case errors.Is(err, fs.ErrNotExist) && o.AdminKey == "":
		if _, k.key, err = ed25519.GenerateKey(rand.Reader); err != nil {
			return nil, err
		}
		k.created = true
	default:
		return nil, clierr.Usagef("give a readable Ed25519 private key (PEM)", "--admin-key: %v", err)
	}
	sec, err := o.clients.Kube.CoreV1().Secrets(ns).Get(ctx, trusteechart.SecretName(trusteechart.ReleaseName), metav1.GetOptions{})
	switch {
	case apierrors.IsNotFound(err):
		return k, nil
	case err != nil:
		return nil, clierr.FromAPI(err, clierr.Action{Verb: "get", Resource: "secrets", Namespace: ns, Name: trusteechart.SecretName(trusteechart.ReleaseName)})
	}
	_, pub, _ := kbs.MarshalKeys(k.key)
	if !bytes.Equal(sec.Data["KBS_ADMIN_PUBKEY"], pub) {
		return nil, clierr.Failf("give the matching key with --admin-key FILE, or start over: kubectl coco trustee uninstall",
			"Secret %s/%s holds another admin public key than %s: the KBS trusts a key this run does not have", ns, sec.Name, k.path)
	}
	return k, nil
}

// apply writes the key file, the namespace and the Secret when they are new, then the release.
func (o *TrusteeInstallOptions) apply(ctx context.Context, ns string, ch *chart.Chart, vals map[string]any, key *adminKeyFile, prog *progress.Progress) (string, error) {
	if key.created {
		priv, _, err := kbs.MarshalKeys(key.key)
		if err != nil {
			return "", err
		}
		if err := atomicfile.Write(key.path, priv, 0o600); err != nil {
			return "", fmt.Errorf("writing the admin key: %w", err)
		}
	}
	if err := ensureNamespace(ctx, o.clients, ns); err != nil {
		return "", err
	}
	if err := o.ensureSecret(ctx, ns, key); err != nil {
		return "", err
	}
	step := prog.Start(fmt.Sprintf("installing release %s in namespace %s", trusteechart.ReleaseName, ns))
	_, outcome, err := o.releases.Install(ctx, ch, vals, helmrelease.Options{Name: trusteechart.ReleaseName, Timeout: o.Timeout,
		Notice: o.g.Note, TakeOverAfter: o.Timeout, Force: o.Force})
	if err != nil {
		step.End(err, "")
		return "", clierr.Wrap(clierr.FromAPI(err, clierr.Action{Verb: "install", Resource: "helm release " + trusteechart.ReleaseName, Namespace: ns}), "helm install")
	}
	step.Done(string(outcome))
	return string(outcome), nil
}

func ensureNamespace(ctx context.Context, c *kube.Clients, ns string) error {
	_, err := c.Kube.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns,
		Labels: map[string]string{cmdutil.ManagedByLabel: cmdutil.ManagedBy}}}, metav1.CreateOptions{FieldManager: cmdutil.ManagedBy})
	if err != nil && !apierrors.IsAlreadyExists(err) {
		return clierr.FromAPI(err, clierr.Action{Verb: "create", Resource: "namespaces", Name: ns})
	}
	return nil
}

// ensureSecret creates the user-keys Secret once; a rerun keeps it (its token key included).
func (o *TrusteeInstallOptions) ensureSecret(ctx context.Context, ns string, key *adminKeyFile) error {
	data, err := trusteechart.SecretData(key.key, time.Now())
	if err != nil {
		return err
	}
	sec := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: trusteechart.SecretName(trusteechart.ReleaseName), Namespace: ns,
		Labels: map[string]string{cmdutil.ManagedByLabel: cmdutil.ManagedBy}}, Type: corev1.SecretTypeOpaque, Data: data}
	_, err = o.clients.Kube.CoreV1().Secrets(ns).Create(ctx, sec, metav1.CreateOptions{FieldManager: cmdutil.ManagedBy})
	if err != nil && !apierrors.IsAlreadyExists(err) {
		return clierr.FromAPI(err, clierr.Action{Verb: "create", Resource: "secrets", Namespace: ns, Name: sec.Name})
	}
	return nil
}

// waitAvailable follows the Deployments until each is available.
func (o *TrusteeInstallOptions) waitAvailable(ctx context.Context, ns string, names []string, prog *progress.Progress) error {
	for _, name := range names {
		step := prog.Start("waiting for deployment " + name)
		deps := o.clients.Kube.AppsV1().Deployments(ns)
		_, err := waitfor.Until(ctx, waitfor.OnClient(o.clients.Kube, waitfor.Named(deps, name)), &appsv1.Deployment{}, func(ev watch.Event) (bool, error) {
			d, ok := ev.Object.(*appsv1.Deployment)
			return ok && cocostatus.DeploymentAvailable(d), nil
		})
		if err != nil {
			step.Fail("")
			return cmdutil.WaitError(err, "deployment "+ns+"/"+name+" is not available", "check its pods: kubectl get pods -n "+ns+" (the images come from ghcr.io)")
		}
		step.Done("available")
	}
	return nil
}

func (o *TrusteeInstallOptions) printHuman(w io.Writer, r TrusteeInstallResult) error {
	fmt.Fprintf(w, "Trustee %s: release %s in %s (%s), %d deployments available\nKBS: %s (Service %s)\n", r.Outcome, r.Release, r.Namespace, r.Chart, len(r.Deployments), r.KBSURL, r.Service)
	scheme, cert := "http", ""
	if r.TLS {
		scheme, cert = "https", " --kbs-cert "+r.KBSCert
		fmt.Fprintf(w, "TLS: the KBS serves HTTPS with a certificate of your CA %s\n", r.KBSCert)
	}
	fmt.Fprintf(w, "Next: set a resource policy (the KBS's admin API, through a port-forward):\n  kubectl port-forward -n %s svc/%s 8080:8080 &\n  kubectl coco trustee policy set --profile restricted --kbs-url %s://127.0.0.1:8080%s\nthen give your pods initdata: kubectl coco initdata --kbs-url %s%s\n",
		r.Namespace, r.Service, scheme, cert, r.KBSURL, cert)
	return nil
}
