package cmd

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/osc-coco/kubectl-plugins/lib/access"
	"github.com/osc-coco/kubectl-plugins/lib/apply"
	"github.com/osc-coco/kubectl-plugins/lib/cli"
	"github.com/osc-coco/kubectl-plugins/lib/clierr"
	"github.com/osc-coco/kubectl-plugins/lib/kube"
	"github.com/osc-coco/kubectl-plugins/lib/output"
	"github.com/osc-coco/kubectl-plugins/plugins/coco/catalog"
	"github.com/osc-coco/kubectl-plugins/plugins/coco/confidential"
)

// DeployOptions applies a user's workload as a CoCo workload.
type DeployOptions struct {
	g              *cli.Globals
	out            output.Flags
	File           string
	RuntimeClass   string
	DryRun         string
	ForceConflicts bool
	init           InitdataOptions // --kbs-url, --kbs-cert, --agent-policy, --algorithm

	format  output.Format
	objs    []*unstructured.Unstructured
	clients *kube.Clients
}

// DeployReport is the schema of "deploy -o json|yaml".
type DeployReport struct {
	APIVersion   string `json:"apiVersion"`
	Kind         string `json:"kind"`
	RuntimeClass string `json:"runtimeClass"`
	Handler      string `json:"handler"`
	// Confidential is whether the class runs pods in a TEE; Verdict says why, or why not.
	Confidential bool                   `json:"confidential"`
	Verdict      string                 `json:"verdict"`
	Initdata     string                 `json:"initdata,omitempty"` // its digest, when set
	Objects      []string               `json:"objects"`
	Warnings     []confidential.Warning `json:"warnings"`
	DryRun       string                 `json:"dryRun,omitempty"`
}

func newDeployCommand(g *cli.Globals) *cobra.Command {
	o := &DeployOptions{g: g, RuntimeClass: "auto", DryRun: dryRunNone, init: InitdataOptions{g: g, Algorithm: "sha384"},
		out: output.Flags{Allowed: []output.Format{output.Human, output.JSON, output.YAML}}}
	cmd := &cobra.Command{
		Use:   "deploy -f MANIFEST [--runtime-class auto|NAME] [--kbs-url URL]",
		Short: "Apply your Pods, Deployments, Jobs... as confidential workloads",
		Long: `Reads a manifest, gives every pod template the runtime class (auto: the most confidential
installed class a worker's hardware can run, as smoke-test chooses) and, with --kbs-url, the
initdata annotation (as kubectl coco initdata writes it, with --agent-policy), names what a
confidential guest changes for it (hostPath, host namespaces, privileged containers, images
by tag, pull secrets), and applies it server-side. It says plainly whether the class is
confidential: a class without a TEE (coco-dev, or a non-Kata handler) runs the pods but
protects nothing. --dry-run -o yaml (or -o json) prints the prepared objects; otherwise -o
json|yaml prints the report.`,
		Example: `  kubectl coco deploy -f web.yaml --kbs-url http://10.0.0.5:8080
  kubectl coco deploy -f web.yaml --runtime-class kata-qemu-snp --agent-policy policy.rego --kbs-url http://10.0.0.5:8080 --dry-run -o yaml`,
		Args: cli.NoArgs,
		RunE: cli.RunE(o),
	}
	o.out.AddFlags(cmd)
	f := cmd.Flags()
	f.StringVarP(&o.File, "filename", "f", "", "the manifest (- for stdin)")
	f.StringVar(&o.RuntimeClass, "runtime-class", o.RuntimeClass, "auto, or a runtime class name")
	f.StringVar(&o.DryRun, "dry-run", o.DryRun, `"client" prints the prepared objects, "server" lets the server check them; nothing is saved`)
	f.Lookup("dry-run").NoOptDefVal = dryRunClient
	f.BoolVar(&o.ForceConflicts, "force-conflicts", false, "take over fields another manager owns (as kubectl apply --server-side --force-conflicts)")
	f.StringVar(&o.init.KBSURL, "kbs-url", "", "give the pods initdata pointing at this KBS (as the worker nodes reach it)")
	f.StringVar(&o.init.KBSCert, "kbs-cert", "", "PEM certificate of an https KBS")
	f.StringVar(&o.init.Policy, "agent-policy", "", "kata agent policy (Rego) for the initdata")
	f.StringVar(&o.init.Algorithm, "algorithm", o.init.Algorithm, "initdata digest algorithm")
	_ = cmd.RegisterFlagCompletionFunc("runtime-class", cli.CompleteRuntimeClasses(o.g))
	return cmd
}

// Complete reads the manifest and -o and connects.
func (o *DeployOptions) Complete([]string) error {
	var err error
	if o.format, err = o.out.Format(); err != nil {
		return clierr.Usagef(output.FormatFix, "%v", err)
	}
	if o.File == "" {
		return clierr.Usagef("e.g. -f web.yaml", "-f is required")
	}
	if o.objs, err = readManifest(o.File, o.g.Streams.In); err != nil {
		return err
	}
	if o.init.KBSURL != "" {
		if err := o.init.Complete(nil); err != nil {
			return err
		}
	}
	return o.g.ClientsInto(&o.clients)
}

func readManifest(path string, stdin io.Reader) ([]*unstructured.Unstructured, error) {
	var data []byte
	var err error
	if path == "-" {
		data, err = io.ReadAll(io.LimitReader(stdin, 8<<20))
	} else {
		data, err = os.ReadFile(path)
	}
	if err != nil {
		return nil, clierr.Usagef("give a readable manifest", "-f: %v", err)
	}
	objs, err := apply.Parse(data)
	if err != nil {
		return nil, clierr.Usagef("give Kubernetes YAML or JSON", "%s: %v", path, err)
	}
	return objs, nil
}

// Validate checks the flags and that the manifest has a workload.
func (o *DeployOptions) Validate() error {
	switch o.DryRun {
	case dryRunNone, dryRunClient, dryRunServer:
	default:
		return clierr.Usagef("use --dry-run, --dry-run=client or --dry-run=server", "invalid --dry-run %q", o.DryRun)
	}
	if o.init.KBSURL != "" {
		if err := o.init.Validate(); err != nil {
			return err
		}
	} else if o.init.KBSCert != "" || o.init.Policy != "" {
		return clierr.Usagef("add --kbs-url URL", "--kbs-cert and --agent-policy go into the initdata, which needs --kbs-url")
	}
	if _, err := confidential.Prepare(o.objs, confidential.Options{RuntimeClass: "check"}); err != nil {
		return clierr.Usagef("deploy applies workloads; apply the rest with kubectl apply", "%v", err)
	}
	return nil
}

// Run chooses the class, prepares the objects and applies them.
func (o *DeployOptions) Run(ctx context.Context) error {
	c := o.clients
	class, err := chooseRuntimeClass(ctx, c, o.RuntimeClass)
	if err != nil {
		return err
	}
	r := DeployReport{APIVersion: "coco.osc-coco.io/v1alpha1", Kind: "DeployReport", RuntimeClass: class, Objects: []string{}, DryRun: strings.TrimPrefix(o.DryRun, dryRunNone)}
	if err := o.judgeClass(ctx, &r); err != nil {
		return err
	}
	opts := confidential.Options{RuntimeClass: class}
	if o.init.KBSURL != "" {
		rep, err := o.initdata()
		if err != nil {
			return err
		}
		opts.Initdata, r.Initdata = rep.Annotation.Value, rep.Digest
	}
	prepared, err := confidential.Prepare(o.objs, opts)
	if err != nil {
		return err
	}
	r.Warnings = append([]confidential.Warning{}, prepared.Warnings...)
	for _, u := range prepared.Objects {
		r.Objects = append(r.Objects, strings.ToLower(u.GetKind())+"/"+u.GetName())
	}
	if o.DryRun == dryRunClient && (o.format == output.YAML || o.format == output.JSON) {
		return o.printObjects(prepared.Objects) // as kubectl apply --dry-run=client -o yaml
	}
	if o.DryRun != dryRunClient {
		if err := o.apply(ctx, prepared.Objects); err != nil {
			return err
		}
	}
	return o.print(r)
}

func (o *DeployOptions) initdata() (*InitdataReport, error) {
	doc, err := o.init.document()
	if err != nil {
		return nil, err
	}
	return initdataReport(doc)
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
		r.Confidential, r.Verdict = true, fmt.Sprintf("confidential: handler %s runs each pod in a %s guest", rc.Handler, teeName(known))
	case ok:
		r.Verdict = fmt.Sprintf("NOT confidential: handler %s: %s", rc.Handler, known.Description)
	case !strings.HasPrefix(rc.Handler, "kata"):
		r.Verdict = fmt.Sprintf("NOT confidential: handler %s is not Kata: the pods run as plain containers on the node", rc.Handler)
	default:
		r.Verdict = fmt.Sprintf("cannot tell: handler %s is a Kata handler kubectl coco does not know; check that it runs a TEE", rc.Handler)
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
	a, err := apply.New(o.clients.Config)
	if err != nil {
		return err
	}
	if err := access.Check(ctx, o.clients.Kube, a.AccessRequests(objs, o.clients.Namespace, "create", "patch")...); err != nil {
		return clierr.Wrap(err, "deploying the manifest needs these permissions")
	}
	return a.Apply(ctx, objs, apply.Options{FieldManager: managedBy(), DryRun: o.DryRun == dryRunServer,
		KeepConflicts: !o.ForceConflicts, Namespace: o.clients.Namespace})
}

// printObjects writes the prepared objects: YAML documents, or a v1 List in JSON.
func (o *DeployOptions) printObjects(objs []*unstructured.Unstructured) error {
	if o.format == output.JSON {
		items := make([]any, 0, len(objs))
		for _, u := range objs {
			items = append(items, u.Object)
		}
		return output.Print(o.g.Streams.Out, output.JSON, map[string]any{"apiVersion": "v1", "kind": "List", "items": items})
	}
	data, err := apply.YAML(objs)
	if err != nil {
		return err
	}
	_, err = o.g.Streams.Out.Write(data)
	return err
}

func (o *DeployOptions) print(r DeployReport) error {
	if o.format.Structured() {
		return output.Print(o.g.Streams.Out, o.format, r)
	}
	w := o.g.Streams.Out
	done := map[string]string{dryRunNone: "applied", dryRunClient: "prepared (client dry run: nothing sent)", dryRunServer: "checked by the server (dry run: nothing saved)"}[o.DryRun]
	fmt.Fprintf(w, "%s %s in runtime class %s\n", strings.Join(r.Objects, ", "), done, r.RuntimeClass)
	p := o.g.Palette(w)
	if r.Confidential {
		fmt.Fprintln(w, p.Good(r.Verdict))
	} else {
		fmt.Fprintln(w, p.Bad(r.Verdict))
	}
	if r.Initdata == "" {
		fmt.Fprintln(w, "no initdata: the guest knows no KBS, so it can fetch no secrets (--kbs-url)")
	} else {
		fmt.Fprintf(w, "initdata %s (digest %s)\n", o.init.Algorithm, r.Initdata)
	}
	for _, wn := range r.Warnings {
		o.g.Warn(wn.Object + ": " + wn.Message)
	}
	return nil
}
