package cmd

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/osc-coco/kubectl-plugins/lib/access"
	"github.com/osc-coco/kubectl-plugins/lib/apply"
	"github.com/osc-coco/kubectl-plugins/lib/cli"
	"github.com/osc-coco/kubectl-plugins/lib/clierr"
	"github.com/osc-coco/kubectl-plugins/lib/kube"
	"github.com/osc-coco/kubectl-plugins/lib/names"
	"github.com/osc-coco/kubectl-plugins/lib/output"
	"github.com/osc-coco/kubectl-plugins/plugins/coco/catalog"
	"github.com/osc-coco/kubectl-plugins/plugins/coco/cmd/cmdutil"
	"github.com/osc-coco/kubectl-plugins/plugins/coco/cmd/trustee"
	"github.com/osc-coco/kubectl-plugins/plugins/coco/confidential"
	"github.com/osc-coco/kubectl-plugins/plugins/coco/imagepin"
	"github.com/osc-coco/kubectl-plugins/plugins/coco/initdata"
)

// DeployOptions applies a user's workload as a CoCo workload.
type DeployOptions struct {
	g              *cli.Globals
	out            output.Flags
	Files          manifestFlags
	RuntimeClass   string
	DryRun         cli.DryRun
	ForceConflicts bool
	init           InitdataOptions // --kbs-url, --kbs-cert, --algorithm
	policy         policyFlags     // --policy, --deny-logs, --allow-tags, --genpolicy
	bind           bindFlags       // --bind, --admin-url, --admin-key, --prune

	printer        *output.Printer[DeployReport]
	objectsPrinter *output.Printer[apply.Objects] // --dry-run -o yaml|json: the objects, as kubectl apply prints them
	serverObjects  apply.Objects                  // what the server returned for them
	objs           []*unstructured.Unstructured
	clients        *kube.Clients
}

// DeployReport is the schema of "deploy -o json|yaml".
type DeployReport struct {
	APIVersion   string `json:"apiVersion"`
	Kind         string `json:"kind"`
	RuntimeClass string `json:"runtimeClass"`
	Handler      string `json:"handler"`
	// TEE is whether the class runs pods in a TEE; HostShutOut whether every workload's agent
	// policy denies the host exec, stdin, files and a new policy; SecretsBound whether Trustee
	// releases secrets only to guests whose initdata digest is one deployed here.
	TEE          bool `json:"tee"`
	HostShutOut  bool `json:"hostShutOut"`
	SecretsBound bool `json:"secretsBound"`
	// Confidential is all three; Verdict says which hold and which do not.
	Confidential bool                   `json:"confidential"`
	Verdict      string                 `json:"verdict"`
	Workloads    []WorkloadPolicy       `json:"workloads"`
	Images       []imagepin.Pinned      `json:"images"`
	Binding      *Binding               `json:"binding,omitempty"`
	Objects      []string               `json:"objects"`
	Warnings     []confidential.Warning `json:"warnings"`
	DryRun       string                 `json:"dryRun,omitempty"`
	classVerdict string
}

func newDeployCommand(g *cli.Globals) *cobra.Command {
	o := &DeployOptions{g: g, RuntimeClass: "auto", DryRun: cli.DryRunNone, init: InitdataOptions{g: g, Algorithm: "sha384"}, policy: policyFlags{g: g},
		bind: bindFlags{Bind: "auto", admin: trustee.NewKBSAccess(g, 30*time.Second)},
		out:  output.Flags{Allowed: []output.Format{output.Human, output.JSON, output.YAML}, Named: true}}
	cmd := &cobra.Command{
		Use:   "deploy -f MANIFEST [--runtime-class auto|NAME] [--kbs-url URL] [--policy restricted|genpolicy|allow-all|FILE]",
		Short: "Apply your Pods, Deployments, Jobs... as confidential workloads: TEE class, an agent policy that shuts the host out, secrets bound to what was deployed",
		Long: `Reads a manifest and makes every workload in it confidential, saying plainly which of the three
parts holds:

  TEE           the runtime class (auto: the most confidential installed class a worker's
                hardware can run) runs each pod in a TEE guest; coco-dev or a non-Kata handler
                runs it but protects nothing.
  host shut out each workload's initdata carries a kata agent policy (--policy) that denies the
                host exec (but the pod's own exec probes), stdin, copying files in and replacing
                the policy. restricted (default) is kubectl coco's, written per workload; its
                images are pinned to the digests the registry serves (--allow-tags keeps tags);
                logs stay readable unless --deny-logs. genpolicy runs kata's genpolicy; a FILE is
                your own Rego; allow-all lets the host in, and is said to.
  secrets bound with a KBS (--kbs-url), the initdata digests are registered in Trustee as
                reference values and Trustee's attestation policy is set to kubectl coco's, so
                that its restricted resource policy releases secrets only to a guest whose
                TEE reports one of them (SNP HOSTDATA, TDX MRCONFIGID). --bind=false skips it;
                the admin API is reached at --admin-url (default --kbs-url) with the admin key.

Names what a confidential guest changes (hostPath, host namespaces, privileged containers, pull
secrets) and applies server-side. --dry-run -o yaml (or -o json) prints the prepared objects;
otherwise -o json|yaml prints the report. --prune removes registered digests no workload in the
cluster still carries.`,
		Example: `  kubectl coco deploy -f web.yaml --kbs-url http://10.0.0.5:8080 --admin-url http://127.0.0.1:8080
  kubectl coco deploy -f web.yaml --policy genpolicy --kbs-url http://10.0.0.5:8080 --bind=false
  kubectl coco deploy -f web.yaml --runtime-class kata-qemu-snp --dry-run -o yaml`,
		Args: cli.NoArgs,
		RunE: cli.RunE(o),
	}
	o.out.AddFlags(cmd)
	f := cmd.Flags()
	o.Files.addFlags(f, "the manifest (- for stdin)")
	f.StringVar(&o.RuntimeClass, "runtime-class", o.RuntimeClass, "auto, or a runtime class name")
	cli.AddDryRunFlag(f, &o.DryRun, `"client" prints the prepared objects, "server" lets the server check them; nothing is saved or registered`)
	f.BoolVar(&o.ForceConflicts, "force-conflicts", false, "take over fields another manager owns (as kubectl apply --server-side --force-conflicts)")
	f.StringVar(&o.init.KBSURL, "kbs-url", "", "give the pods initdata pointing at this KBS (as the worker nodes reach it)")
	f.StringVar(&o.init.KBSCert, "kbs-cert", "", "PEM certificate of an https KBS")
	f.StringVar(&o.init.Policy, "agent-policy", "", "deprecated: use --policy FILE")
	_ = f.MarkDeprecated("agent-policy", "use --policy FILE")
	f.StringVar(&o.init.Algorithm, "algorithm", o.init.Algorithm, "initdata digest algorithm")
	o.policy.addFlags(f)
	o.bind.addFlags(f)
	_ = cmd.RegisterFlagCompletionFunc("runtime-class", cli.CompleteRuntimeClasses(o.g))
	_ = cmd.RegisterFlagCompletionFunc("policy", cobra.FixedCompletions([]string{policyRestricted, policyGenpolicy, policyAllowAll}, cobra.ShellCompDirectiveDefault))
	return cmd
}

// Complete reads the manifest, the policy and -o and connects.
func (o *DeployOptions) Complete([]string) error {
	var err error
	if o.printer, err = output.ToPrinter(&o.out, o.printHuman); err != nil {
		return err
	}
	if o.objectsPrinter, err = output.ToPrinter(&o.out, printObjectsYAML); err != nil {
		return err
	}
	if !o.Files.given() {
		return clierr.Usagef("e.g. -f web.yaml", "-f is required")
	}
	if o.objs, err = o.Files.read(o.g.Streams.In); err != nil {
		return err
	}
	if o.init.Policy != "" { // --agent-policy FILE
		o.policy.Mode, o.init.Policy = o.init.Policy, ""
	}
	if err := o.init.Complete(nil); err != nil {
		return err
	}
	if err := o.policy.complete(context.Background()); err != nil {
		return err
	}
	if err := o.g.ClientsInto(&o.clients); err != nil {
		return err
	}
	return o.bind.complete(o.init.KBSURL, o.init.KBSCert, o.DryRun != cli.DryRunNone)
}

// Validate checks the flags and that the manifest has a workload.
func (o *DeployOptions) Validate() error {
	if o.init.KBSURL != "" {
		if err := initdata.CheckKBSURL(o.init.KBSURL); err != nil {
			return clierr.Usagef("e.g. --kbs-url http://10.0.0.5:8080", "--kbs-url: %v", err)
		}
	} else if o.init.KBSCert != "" {
		return clierr.Usagef("add --kbs-url URL", "--kbs-cert goes into the initdata's KBS settings, which need --kbs-url")
	}
	if err := o.bind.validate(o.init.KBSURL); err != nil {
		return err
	}
	if o.RuntimeClass != "" && o.RuntimeClass != "auto" {
		if err := names.Subdomain("--runtime-class", o.RuntimeClass); err != nil {
			return err
		}
	}
	if _, err := confidential.Prepare(o.objs, confidential.Options{RuntimeClass: "check"}); err != nil {
		return clierr.Usagef("deploy applies workloads; apply the rest with kubectl apply", "%v", err)
	}
	return nil
}

// Run chooses the class, pins the images, gives each workload its initdata, binds the secrets
// and applies.
func (o *DeployOptions) Run(ctx context.Context) error {
	if o.DryRun != cli.DryRunClient {
		if err := checkNamespaces(ctx, o.clients, o.objs); err != nil {
			return err
		}
	}
	class, err := chooseRuntimeClass(ctx, o.clients, o.RuntimeClass)
	if err != nil {
		return err
	}
	r := DeployReport{APIVersion: "coco.osc-coco.io/v1alpha1", Kind: "DeployReport", RuntimeClass: class, Objects: []string{},
		Workloads: []WorkloadPolicy{}, Images: []imagepin.Pinned{}, DryRun: strings.TrimPrefix(string(o.DryRun), string(cli.DryRunNone))}
	if err := o.judgeClass(ctx, &r); err != nil {
		return err
	}
	// Images are pinned first, so that what is judged and measured is what will run.
	if pins, err := o.policy.pinImages(ctx, confidential.Templates(o.objs, o.clients.Namespace)); err != nil {
		return err
	} else if pins != nil {
		r.Images = pins
	}
	prepared, err := confidential.Prepare(o.objs, confidential.Options{RuntimeClass: class})
	if err != nil {
		return err
	}
	tmpls := confidential.Templates(prepared.Objects, o.clients.Namespace)
	if r.Workloads, err = o.policy.build(ctx, tmpls, prepared.Objects, o.init.request(), class); err != nil {
		return err
	}
	for i, t := range tmpls {
		if err := t.SetAnnotation(initdata.Annotation, r.Workloads[i].annotation); err != nil {
			return err
		}
	}
	r.Warnings = append([]confidential.Warning{}, prepared.Warnings...)
	for _, u := range prepared.Objects {
		r.Objects = append(r.Objects, strings.ToLower(u.GetKind())+"/"+u.GetName())
	}
	if f := o.printer.Format(); o.DryRun == cli.DryRunClient && (f == output.YAML || f == output.JSON) {
		o.conclude(&r)
		o.warn(r)
		return o.objectsPrinter.Print(o.g.Streams.Out, prepared.Objects) // as kubectl apply --dry-run=client -o yaml
	}
	if err := o.applyAndBind(ctx, prepared.Objects, &r); err != nil {
		return err
	}
	if f := o.printer.Format(); o.DryRun == cli.DryRunServer && (f == output.YAML || f == output.JSON) {
		o.conclude(&r)
		o.warn(r)
		return o.objectsPrinter.Print(o.g.Streams.Out, o.serverObjects) // the same kind as the client dry run: the objects, as the server would save them
	}
	o.conclude(&r)
	o.warn(r)
	return o.printer.Print(o.g.Streams.Out, r)
}

// applyAndBind registers the digests before the pods exist (a pod that attests early finds its
// digest), then applies; a dry run does neither.
func (o *DeployOptions) applyAndBind(ctx context.Context, objs []*unstructured.Unstructured, r *DeployReport) error {
	if o.DryRun != cli.DryRunNone {
		if o.DryRun == cli.DryRunServer {
			return o.apply(ctx, objs)
		}
		return nil
	}
	if !o.bind.on {
		return o.apply(ctx, objs)
	}
	if err := o.bind.refuseOpen(r.Workloads); err != nil {
		return err
	}
	if err := o.bind.check(ctx); err != nil {
		return err
	}
	b, err := o.bind.register(ctx, r.Workloads)
	if err != nil {
		return err
	}
	r.Binding = b
	if err := o.apply(ctx, objs); err != nil {
		return clierr.Wrap(err, "the digests were registered in Trustee first (so early pods attest); rerun, or remove them with --prune")
	}
	if o.bind.Prune {
		return o.bind.prune(ctx, o.clients, r.Binding)
	}
	return nil
}

// conclude says which parts of confidentiality hold.
func (o *DeployOptions) conclude(r *DeployReport) {
	r.HostShutOut = len(r.Workloads) > 0
	var open []string
	for _, w := range r.Workloads {
		switch {
		case !w.Allows.ShutsHostOut():
			r.HostShutOut = false
			open = append(open, fmt.Sprintf("%s (%s policy: %s)", w.Object, w.Policy, hostEntry(w.Allows)))
		case !w.Verified:
			r.HostShutOut = false
			open = append(open, fmt.Sprintf("%s, perhaps (%s)", w.Object, unverified))
		}
	}
	r.SecretsBound = r.Binding != nil && r.Binding.Bound
	r.Confidential = r.TEE && r.HostShutOut && r.SecretsBound
	parts := []string{r.classVerdict}
	if r.HostShutOut {
		parts = append(parts, "the host is shut out (agent policy: no exec but the pods' exec probes, no stdin, no files, no new policy)")
	} else {
		parts = append(parts, "the host can enter "+strings.Join(open, "; "))
	}
	switch {
	case r.SecretsBound:
		parts = append(parts, "secrets are bound: Trustee releases them only to guests reporting an initdata digest kubectl coco registered (every workload bound this way shares the KBS's secrets)")
	case o.init.KBSURL == "":
		parts = append(parts, "no KBS (--kbs-url): the guests can fetch no secrets, so none are bound")
	case o.DryRun != cli.DryRunNone:
		parts = append(parts, "secrets not bound (dry run: nothing registered)")
	default:
		parts = append(parts, "secrets NOT bound (--bind=false): any guest Trustee's policies admit gets them")
	}
	verdict := "NOT confidential"
	if r.Confidential {
		verdict = "confidential"
	}
	r.Verdict = verdict + ": " + strings.Join(parts, "; ")
}

// judgeClass says whether the class's handler runs pods in a TEE.
func (o *DeployOptions) judgeClass(ctx context.Context, r *DeployReport) error {
	rc, err := o.clients.Kube.NodeV1().RuntimeClasses().Get(ctx, r.RuntimeClass, metav1.GetOptions{})
	if err != nil {
		return clierr.FromAPI(err, clierr.Action{Verb: "get", Resource: "runtimeclasses.node.k8s.io", Name: r.RuntimeClass})
	}
	r.Handler = rc.Handler
	known, ok := catalog.Lookup(rc.Handler)
	switch {
	case ok && known.Confidential:
		r.TEE, r.classVerdict = true, fmt.Sprintf("handler %s runs each pod in a %s guest", rc.Handler, teeName(known))
	case ok:
		r.classVerdict = fmt.Sprintf("no TEE: handler %s: %s", rc.Handler, known.Description)
	case !strings.HasPrefix(rc.Handler, "kata"):
		r.classVerdict = fmt.Sprintf("no TEE: handler %s is not Kata: the pods run as plain containers on the node", rc.Handler)
	default:
		r.classVerdict = fmt.Sprintf("TEE unknown: handler %s is a Kata handler kubectl coco does not know; check that it runs a TEE", rc.Handler)
	}
	return nil
}

func teeName(c catalog.Class) string {
	if c.TEE == "" {
		return "cloud confidential VM" // peer pods
	}
	return string(c.TEE)
}

func (o *DeployOptions) apply(ctx context.Context, objs []*unstructured.Unstructured) error {
	a := apply.For(o.clients.Dynamic, o.clients.Kube.Discovery())
	if err := access.Check(ctx, o.clients.Kube, a.AccessRequests(objs, o.clients.Namespace, "create", "patch")...); err != nil {
		return clierr.Wrap(err, "deploying the manifest needs these permissions")
	}
	return a.Apply(ctx, objs, apply.Options{FieldManager: cmdutil.ManagedBy, DryRun: o.DryRun == cli.DryRunServer,
		KeepConflicts: !o.ForceConflicts, Namespace: o.clients.Namespace,
		Applied: func(u *unstructured.Unstructured) { o.serverObjects = append(o.serverObjects, u) }})
}

// printObjectsYAML: -o yaml is the only table-less way the objects reach people.
func printObjectsYAML(w io.Writer, objs apply.Objects) error {
	return output.Print(w, output.YAML, objs)
}

func (o *DeployOptions) printHuman(w io.Writer, r DeployReport) error {
	done := map[cli.DryRun]string{cli.DryRunNone: "applied", cli.DryRunClient: "prepared (client dry run: nothing sent)", cli.DryRunServer: "checked by the server (dry run: nothing saved)"}[o.DryRun]
	fmt.Fprintf(w, "%s %s in runtime class %s\n", strings.Join(r.Objects, ", "), done, r.RuntimeClass)
	for _, wl := range r.Workloads {
		logs := "logs readable"
		if !wl.Allows.Logs {
			logs = "logs hidden"
		}
		fmt.Fprintf(w, "  %s: %s agent policy (%s), initdata %s %s\n", wl.Object, wl.Policy, logs, o.init.Algorithm, wl.Initdata)
	}
	if r.Binding != nil {
		fmt.Fprintf(w, "  Trustee at %s: %s\n", r.Binding.KBS, strings.Join(r.Binding.Registered, ", "))
	}
	p := o.g.Palette(w)
	if r.Confidential {
		fmt.Fprintln(w, p.Good(r.Verdict))
	} else {
		fmt.Fprintln(w, p.Bad(r.Verdict))
	}
	return nil
}

// warn writes the warnings to stderr, whatever -o is.
func (o *DeployOptions) warn(r DeployReport) {
	for _, wn := range r.Warnings {
		o.g.Warn(wn.Object + ": " + wn.Message)
	}
	for _, wl := range r.Workloads {
		if e := hostEntry(wl.Allows); e != "" {
			o.g.Warn(wl.Object + ": NOT confidential: its agent policy (" + string(wl.Policy) + ") lets " + e)
		}
	}
	if !r.TEE {
		o.g.Warn("NOT confidential: " + r.classVerdict)
	}
}

// ObjectNames are the manifest's objects as kubectl names them (-o name).
func (r DeployReport) ObjectNames() []string { return r.Objects }
