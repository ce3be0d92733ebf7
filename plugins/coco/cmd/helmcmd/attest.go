package helmcmd

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/spf13/cobra"
	corev1 "k8s.io/api/core/v1"

	"github.com/osc-coco/kubectl-plugins/lib/access"
	"github.com/osc-coco/kubectl-plugins/lib/cli"
	"github.com/osc-coco/kubectl-plugins/lib/clierr"
	"github.com/osc-coco/kubectl-plugins/lib/helmrelease"
	"github.com/osc-coco/kubectl-plugins/lib/kube"
	"github.com/osc-coco/kubectl-plugins/lib/names"
	"github.com/osc-coco/kubectl-plugins/lib/output"
	"github.com/osc-coco/kubectl-plugins/lib/podrun"
	"github.com/osc-coco/kubectl-plugins/lib/report"
	"github.com/osc-coco/kubectl-plugins/lib/tee"
	"github.com/osc-coco/kubectl-plugins/plugins/coco/cmd"
	"github.com/osc-coco/kubectl-plugins/plugins/coco/cmd/cmdutil"
	"github.com/osc-coco/kubectl-plugins/plugins/coco/cmd/trustee"
	"github.com/osc-coco/kubectl-plugins/plugins/coco/initdata"
	"github.com/osc-coco/kubectl-plugins/plugins/coco/kbs"
	"github.com/osc-coco/kubectl-plugins/plugins/coco/smoke"
	"github.com/osc-coco/kubectl-plugins/plugins/coco/trusteechart"
)

// AttestReport is the schema of "attest check -o json|yaml".
type AttestReport struct {
	APIVersion string        `json:"apiVersion"`
	Kind       string        `json:"kind"`
	KBSURL     string        `json:"kbsURL"`
	Hops       []cmdutil.Hop `json:"hops"`
	OK         bool          `json:"ok"`
}

func NewAttestCommand(g *cli.Globals) *cobra.Command {
	cmd := &cobra.Command{Use: "attest", Short: cmd.AttestShort}
	cmd.AddCommand(newAttestCheckCommand(g))
	return cmd
}

// AttestCheckOptions checks each hop between the guests and the KBS.
type AttestCheckOptions struct {
	g          *cli.Globals
	out        output.Flags
	KBSURL     string
	Node       string
	Image      string
	PullPolicy string
	Timeout    time.Duration
	admin      trustee.KBSAccess // --local-url (as kbs-url), --admin-key, --admin-token-file
	adminErr   error             // why there is no admin client (no key, say)

	printer  *output.Printer[AttestReport]
	clients  *kube.Clients
	releases *helmrelease.Client
}

func newAttestCheckCommand(g *cli.Globals) *cobra.Command {
	o := &AttestCheckOptions{g: g, Image: smoke.DefaultImage, PullPolicy: string(corev1.PullIfNotPresent), Timeout: 2 * time.Minute,
		admin: trustee.NewKBSAccess(g, 15*time.Second), out: output.Flags{Allowed: []output.Format{output.Human, output.JSON, output.YAML}}}
	cmd := &cobra.Command{
		Use:   "check [--kbs-url URL] [--local-url URL [--admin-key F]]",
		Short: "Can the guests reach the KBS, does it answer the protocol, are its policies in place: a verdict per hop",
		Long: `Checks, one hop at a time:

  trustee          Trustee is installed and healthy in the cluster (skipped for an external --kbs-url)
  from-here        the KBS answers an RCAR Request (protocol ` + kbs.ProtocolVersion + `) from this machine at --local-url
                   (e.g. after kubectl port-forward -n trustee svc/trustee-kbs 8080:8080)
  from-worker      a short-lived pod on a worker (--node) reaches --kbs-url (default: the installed
                   Trustee's Service) and gets a challenge, as a guest's Attestation Agent would
  untrusted-guest  a guest without TEE evidence (the sample TEE, which any host can fake) attests at
                   --local-url and asks for a resource: the resource policy must refuse it
  admin            the KBS's admin API accepts the admin key (--admin-key) and lists its policy ids

A challenge proves that the KBS speaks the protocol there, not that a TEE's evidence would pass:
that needs a guest (kubectl coco smoke-test, then your workload). The admin API of Trustee v0.21
lists policy ids but cannot show the text of the resource policy in force, nor whether it holds a
resource: the untrusted-guest hop tests the policy by its effect instead.`,
		Args: cli.NoArgs,
		RunE: cli.RunE(o),
	}
	o.out.AddFlags(cmd)
	f := cmd.Flags()
	f.StringVar(&o.KBSURL, "kbs-url", "", "the KBS as the nodes reach it (default: the installed Trustee's Service)")
	f.StringVar(&o.admin.URL, "local-url", "", "the KBS as this machine reaches it (a port-forward, or the load balancer)")
	f.StringVar(&o.admin.AdminKey, "admin-key", "", "the administrator's Ed25519 private key, for the policies hop (default: kubectl coco's own)")
	f.StringVar(&o.admin.TokenFile, "admin-token-file", "", "an admin token instead of the key")
	f.StringVar(&o.admin.CACert, "kbs-cert", "", "PEM certificate (or CA) to trust for an https KBS at --local-url")
	f.StringVar(&o.Node, "node", "", "run the probe pod on this node (default: a worker the scheduler picks)")
	f.StringVar(&o.Image, "image", o.Image, "image with wget (mirror it for air-gapped clusters)")
	f.StringVar(&o.PullPolicy, "image-pull-policy", o.PullPolicy, "Always, IfNotPresent or Never")
	f.DurationVar(&o.Timeout, "timeout", o.Timeout, "how long the probe pod may take")
	return cmd
}

// Complete reads -o and connects.
func (o *AttestCheckOptions) Complete([]string) error {
	var err error
	if o.printer, err = output.ToPrinter(&o.out, o.printHuman); err != nil {
		return err
	}
	if o.admin.URL != "" { // the admin hop's client; without admin access the hop says so
		o.adminErr = o.admin.Connect()
	}
	return helmrelease.Connect(o.g, &o.clients, &o.releases, trusteeNamespace(o.g))
}

// Validate checks the URLs and the timeout.
func (o *AttestCheckOptions) Validate() error {
	for flag, u := range map[string]string{"--kbs-url": o.KBSURL, "--local-url": o.admin.URL} {
		if u == "" {
			continue
		}
		if err := initdata.CheckKBSURL(u); err != nil {
			return clierr.Usagef("give scheme, host and port, e.g. http://10.0.0.5:8080", "%s: %v", flag, err)
		}
	}
	if err := cli.CheckTimeout(o.Timeout, "2m"); err != nil {
		return err
	}
	if o.Node != "" {
		return names.Subdomain("--node", o.Node)
	}
	return nil
}

// Run walks the hops; exit 1 unless every hop that ran is ok.
func (o *AttestCheckOptions) Run(ctx context.Context) error {
	if o.Node != "" { // the probe pod would wait the whole --timeout for a node that does not exist
		if err := names.Node(ctx, o.clients.Kube, o.Node); err != nil {
			return err
		}
	}
	r := AttestReport{APIVersion: "coco.osc-coco.io/v1alpha1", Kind: "AttestReport", KBSURL: o.KBSURL, Hops: []cmdutil.Hop{}}
	r.Hops = append(r.Hops, o.trusteeHop(ctx, &r))
	r.Hops = append(r.Hops, o.localHop(ctx), o.workerHop(ctx, r.KBSURL), o.untrustedGuestHop(ctx), o.adminHop(ctx))
	r.OK = true
	for _, h := range r.Hops {
		if h.Status != cmdutil.HopOK && h.Status != cmdutil.HopSkipped {
			r.OK = false
		}
	}
	return cli.PrintVerdict(o.printer, o.g.Streams.Out, r, r.OK)
}

// trusteeHop reads the installed Trustee; it also fills the in-cluster KBS URL when none was given.
func (o *AttestCheckOptions) trusteeHop(ctx context.Context, r *AttestReport) cmdutil.Hop {
	h := cmdutil.Hop{Name: "trustee"}
	st := &TrusteeStatusOptions{g: o.g, clients: o.clients, releases: o.releases}
	s := TrusteeStatus{Namespace: trusteeNamespace(o.g), Deployments: map[string]report.Replicas{}, Images: map[string]string{}, KbsConfigs: []string{}}
	rel, err := o.releases.Get(ctx, trusteechart.ReleaseName)
	switch {
	case err != nil:
		h.Status, h.Detail = cmdutil.HopCannotTell, clierr.CannotTell(err, clierr.Action{Verb: "list", Resource: "secrets", Namespace: s.Namespace})
		return h
	case rel == nil && o.KBSURL != "":
		h.Status, h.Detail = cmdutil.HopSkipped, "no Trustee release in "+s.Namespace+": --kbs-url names the KBS"
		return h
	case rel == nil:
		h.Status, h.Detail, h.Fix = cmdutil.HopFail, "no Trustee release in namespace "+s.Namespace, "kubectl coco trustee install --chart ..., or give --kbs-url for a KBS elsewhere"
		return h
	}
	st.chartStatus(ctx, rel.Manifest, &s)
	if r.KBSURL == "" {
		r.KBSURL = s.KBSURL
	}
	problems := append(s.Problems, s.CannotTell...)
	if len(problems) > 0 {
		h.Status, h.Detail, h.Fix = cmdutil.HopFail, strings.Join(problems, "; "), "kubectl coco trustee status; kubectl get pods -n "+s.Namespace
		return h
	}
	h.Status, h.Detail = cmdutil.HopOK, fmt.Sprintf("release %s healthy in %s (KBS %s)", rel.Name, s.Namespace, s.KBSURL)
	return h
}

func (o *AttestCheckOptions) localHop(ctx context.Context) cmdutil.Hop {
	h := cmdutil.Hop{Name: "from-here"}
	if o.admin.URL == "" {
		h.Status, h.Detail = cmdutil.HopSkipped, "no --local-url (e.g. kubectl port-forward -n "+trusteeNamespace(o.g)+" svc/trustee-kbs 8080:8080, then --local-url http://127.0.0.1:8080)"
		return h
	}
	hc, err := o.admin.HTTPClient()
	if err != nil {
		h.Status, h.Detail = cmdutil.HopFail, err.Error()
		return h
	}
	if err := kbs.Probe(ctx, hc, o.admin.URL); err != nil {
		h.Status, h.Detail, h.Fix = cmdutil.HopFail, err.Error(), probeFix(err)
		return h
	}
	h.Status, h.Detail = cmdutil.HopOK, "the KBS at "+o.admin.URL+" answers an RCAR request with a challenge"
	return h
}

// workerHop runs the probe in a pod: the network a guest's Attestation Agent uses.
func (o *AttestCheckOptions) workerHop(ctx context.Context, url string) cmdutil.Hop {
	h := cmdutil.Hop{Name: "from-worker"}
	if url == "" {
		h.Status, h.Detail = cmdutil.HopSkipped, "no KBS URL for the nodes (--kbs-url)"
		return h
	}
	ns := o.clients.Namespace
	if err := names.Namespace(ctx, o.clients.Kube, ns); err != nil { // the probe pod could never be made
		h.Status, h.Detail, h.Fix = cmdutil.HopFail, err.Error(), clierr.FixOf(err)
		return h
	}
	if err := access.Check(ctx, o.clients.Kube, access.Request{Verb: "create", Resource: "pods", Namespace: ns},
		access.Request{Verb: "get", Resource: "pods", Subresource: "log", Namespace: ns}, access.Request{Verb: "delete", Resource: "pods", Namespace: ns}); err != nil {
		h.Status, h.Detail = cmdutil.HopCannotTell, "cannot run the probe pod in namespace "+ns+": "+err.Error()
		return h
	}
	// No wget -T: Debian's static busybox 1.37 crashes with it in an image without /etc; the
	// pod's deadline bounds the probe instead.
	pod := smoke.Pod(smoke.PodOptions{Namespace: ns, Image: o.Image, PullPolicy: corev1.PullPolicy(o.PullPolicy), Node: o.Node,
		Deadline: o.Timeout + 30*time.Second, ManagedBy: cmdutil.ManagedBy,
		Command: []string{"wget", "-q", "-O-", "--header", "Content-Type: application/json", "--post-data", kbs.AuthRequest, strings.TrimSuffix(url, "/") + kbs.Prefix + "/auth"}})
	if o.Node == "" {
		pod.Spec.NodeSelector = map[string]string{tee.WorkerLabel: ""}
	}
	step := o.g.ProgressFor(o.printer.Format()).Start("probing " + url + " from a pod")
	res, err := podrun.Run(ctx, o.clients.Kube, pod, podrun.Options{Timeout: o.Timeout, MaxLogBytes: 16 << 10, OnStatus: step.Update})
	if err != nil {
		step.Fail("")
		var ce *clierr.Error
		if errors.As(err, &ce) && res != nil && len(res.Log) > 0 {
			err = fmt.Errorf("%v; it said: %s", err, strings.TrimSpace(string(res.Log)))
		}
		h.Status, h.Detail, h.Fix = cmdutil.HopFail, err.Error(), "the nodes must reach "+url+" (network policies, the Service type: kubectl coco trustee install --service-type)"
		if res != nil && strings.Contains(string(res.Log)+err.Error(), " 401 ") {
			// busybox wget prints the status line, not the KBS's ErrorInformation.
			h.Detail = "the KBS at " + url + " is reachable from " + res.Node + " but answered 401 to an RCAR Request of protocol " + kbs.ProtocolVersion +
				": it refuses the Request, most likely another protocol version (the from-here hop, with --local-url, shows the KBS's own words)"
			h.Fix = probeFix(&kbs.ProtocolMismatch{})
		}
		return h
	}
	step.Done("")
	if err := kbs.CheckChallenge(http.StatusOK, res.Log); err != nil {
		h.Status, h.Detail = cmdutil.HopFail, err.Error()
		return h
	}
	h.Status, h.Detail = cmdutil.HopOK, "a pod on "+res.Node+" got a challenge from "+url
	return h
}

// untrustedGuestHop tests the resource policy by its effect: a guest whose evidence proves
// nothing must not reach a resource.
func (o *AttestCheckOptions) untrustedGuestHop(ctx context.Context) cmdutil.Hop {
	h := cmdutil.Hop{Name: "untrusted-guest"}
	if o.admin.URL == "" {
		h.Status, h.Detail = cmdutil.HopSkipped, "needs --local-url"
		return h
	}
	hc, err := o.admin.HTTPClient()
	if err != nil {
		h.Status, h.Detail = cmdutil.HopFail, err.Error()
		return h
	}
	verdict, err := kbs.ProbeUntrustedGuest(ctx, hc, o.admin.URL)
	switch {
	case err != nil:
		h.Status, h.Detail = cmdutil.HopCannotTell, err.Error()
	case verdict == kbs.GuestReleased:
		h.Status, h.Detail, h.Fix = cmdutil.HopFail, "the resource policy lets a guest without TEE evidence (the sample TEE, which any host can fake) reach the resources: it protects nothing",
			"kubectl coco trustee policy set --profile restricted --kbs-url "+o.admin.URL
	default:
		h.Status, h.Detail = cmdutil.HopOK, "the resource policy refuses a guest without TEE evidence (the sample TEE); whether it demands affirming evidence from real TEEs "+
			"cannot be read back (kubectl coco trustee policy set --profile restricted sets a policy that does)"
	}
	return h
}

// adminHop: the admin API accepts the key and lists the policy ids; what it cannot show is said.
func (o *AttestCheckOptions) adminHop(ctx context.Context) cmdutil.Hop {
	h := cmdutil.Hop{Name: "admin"}
	if o.admin.URL == "" {
		h.Status, h.Detail = cmdutil.HopSkipped, "needs --local-url and the admin key"
		return h
	}
	if o.adminErr != nil {
		h.Status, h.Detail = cmdutil.HopSkipped, "no admin access: "+o.adminErr.Error()
		return h
	}
	ids, err := o.admin.Client().ResourcePolicyIDs(ctx)
	var ke *kbs.Error
	switch {
	case errors.As(err, &ke) && ke.AdminRefused():
		h.Status, h.Detail, h.Fix = cmdutil.HopFail, err.Error(), "use the key the KBS trusts (--admin-key) or --admin-token-file"
	case err != nil:
		h.Status, h.Detail = cmdutil.HopCannotTell, err.Error()
	default:
		h.Status, h.Detail = cmdutil.HopOK, fmt.Sprintf("the admin API accepts the key and lists policy ids %s; it cannot show the policy text in force "+
			"(Trustee v0.21 has no read API for it: the untrusted-guest hop tests it by its effect)", strings.Join(ids, ", "))
	}
	return h
}

// probeFix is the fix for a failed RCAR probe: a protocol mismatch needs another Trustee, an
// unreachable KBS the network path, anything else the URL.
func probeFix(err error) string {
	var pm *kbs.ProtocolMismatch
	var ue *kbs.Unreachable
	switch {
	case errors.As(err, &pm):
		return "run a Trustee whose KBS speaks protocol " + kbs.ProtocolVersion + " (" + kbs.SupportedTrustee + "; kubectl coco trustee install pins one)"
	case errors.As(err, &ue):
		return "check --local-url (is the port-forward running? for https, --kbs-cert)"
	}
	return "check that --local-url is a Trustee KBS (" + kbs.SupportedTrustee + ")"
}

func (o *AttestCheckOptions) printHuman(w io.Writer, r AttestReport) error {
	p := o.g.Palette(w)
	for _, h := range r.Hops {
		mark := map[string]string{cmdutil.HopOK: p.Good("✓"), cmdutil.HopFail: p.Bad("✗"), cmdutil.HopCannotTell: p.Bad("?"), cmdutil.HopSkipped: "-"}[h.Status]
		fmt.Fprintf(w, "%s %-12s %s\n", mark, h.Name, h.Detail)
		if h.Fix != "" && h.Status != cmdutil.HopOK {
			fmt.Fprintf(w, "  fix: %s\n", h.Fix)
		}
	}
	return nil
}
