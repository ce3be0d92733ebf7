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
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/osc-coco/kubectl-plugins/lib/cli"
	"github.com/osc-coco/kubectl-plugins/lib/clierr"
	"github.com/osc-coco/kubectl-plugins/lib/kube"
	"github.com/osc-coco/kubectl-plugins/lib/names"
	"github.com/osc-coco/kubectl-plugins/lib/output"
	"github.com/osc-coco/kubectl-plugins/lib/tee/nodecheck"
	"github.com/osc-coco/kubectl-plugins/plugins/coco/catalog"
	"github.com/osc-coco/kubectl-plugins/plugins/coco/cmd/cmdutil"
	"github.com/osc-coco/kubectl-plugins/plugins/coco/cmd/trustee"
	"github.com/osc-coco/kubectl-plugins/plugins/coco/confidential"
	"github.com/osc-coco/kubectl-plugins/plugins/coco/initdata"
	"github.com/osc-coco/kubectl-plugins/plugins/coco/kbs"
)

// VerifyOptions checks that a pod (or a manifest's workloads) is confidential: point by point.
type VerifyOptions struct {
	g     *cli.Globals
	out   output.Flags
	Files manifestFlags
	admin trustee.KBSAccess // --admin-url, --admin-key, --admin-token-file, --kbs-cert
	// AssumePolicies takes Trustee's attestation and resource policies to be those deploy --bind
	// set, which Trustee v0.21 cannot show.
	AssumePolicies bool

	pod     string
	printer *output.Printer[VerifyReport]
	objs    []*unstructured.Unstructured
	clients *kube.Clients
}

// VerifyReport is the schema of "verify -o json|yaml": one WorkloadVerdict per workload.
type VerifyReport struct {
	APIVersion string            `json:"apiVersion"`
	Kind       string            `json:"kind"`
	Workloads  []WorkloadVerdict `json:"workloads"`
	OK         bool              `json:"ok"`
}

// WorkloadVerdict is the points of one workload.
type WorkloadVerdict struct {
	Object       string        `json:"object"`
	RuntimeClass string        `json:"runtimeClass"`
	Initdata     string        `json:"initdata,omitempty"`
	Points       []cmdutil.Hop `json:"points"`
	Confidential bool          `json:"confidential"`
}

func newVerifyCommand(g *cli.Globals) *cobra.Command {
	o := &VerifyOptions{g: g, admin: trustee.NewKBSAccess(g, 15*time.Second), out: output.Flags{Allowed: []output.Format{output.Human, output.JSON, output.YAML}}}
	cmd := &cobra.Command{
		Use:   "verify [POD | -f MANIFEST] [--admin-url URL]",
		Short: "Check that a pod (or a manifest's workloads) is confidential: TEE class, an agent policy that shuts the host out, secrets bound to its initdata",
		Long: `Reads a live pod (or the workloads of a manifest, e.g. kubectl coco deploy --dry-run -o yaml's
output), decodes its initdata and checks, one verdict per point:

  initdata        the pod carries initdata kata accepts; its digest per TEE field
  policy          its agent policy (restricted, genpolicy, a file, allow-all, none) and what it
                  lets the host do: it must deny exec (but the exec probes), stdin, copying files
                  and a new policy
  runtime-class   the class runs pods in a TEE, and the pod's node (a manifest: some node) has it
  trustee         Trustee holds the initdata digest in the TEE's form as a reference value
                  (kubectl coco deploy --bind registers it; needs the admin API: --admin-url and
                  the admin key)
  trustee-policies  Trustee's attestation and resource policies are those deploy --bind sets.
                  Trustee v0.21 cannot show them, so this is "cannot tell" unless you vouch for
                  them with --assume-policies (nobody with the admin key changed them since).

Exit 1 unless every point of every workload holds.`,
		Example: `  kubectl coco verify web-6d4b9c-x2x7q -n shop --admin-url http://127.0.0.1:8080
  kubectl coco verify -f web.yaml -o json`,
		Args: cobra.MaximumNArgs(1),
		RunE: cli.RunE(o),
	}
	o.out.AddFlags(cmd)
	f := cmd.Flags()
	o.Files.addFlags(f, "a manifest whose workloads to verify instead of a live pod")
	f.StringVar(&o.admin.URL, "admin-url", "", "the KBS's admin API as this machine reaches it, for the trustee point")
	f.StringVar(&o.admin.AdminKey, "admin-key", "", "the administrator's Ed25519 private key (default: kubectl coco's own)")
	f.StringVar(&o.admin.TokenFile, "admin-token-file", "", "an admin token instead of the key")
	f.StringVar(&o.admin.CACert, "kbs-cert", "", "PEM certificate (or CA) to trust for an https --admin-url")
	f.BoolVar(&o.AssumePolicies, "assume-policies", false, "take Trustee's policies to be those deploy --bind set (Trustee v0.21 cannot show them)")
	return cmd
}

// Complete reads the manifest or names the pod, and connects.
func (o *VerifyOptions) Complete(args []string) error {
	var err error
	if o.printer, err = output.ToPrinter(&o.out, o.printHuman); err != nil {
		return err
	}
	if len(args) == 1 {
		o.pod = args[0]
	}
	if o.Files.given() {
		if o.objs, err = o.Files.read(o.g.Streams.In); err != nil {
			return err
		}
	}
	if o.admin.URL != "" {
		if err := o.admin.Connect(); err != nil {
			return err
		}
	}
	return o.g.ClientsInto(&o.clients)
}

// Validate wants exactly one of a pod and a manifest.
func (o *VerifyOptions) Validate() error {
	if (o.pod == "") != o.Files.given() {
		return clierr.Usagef("e.g. kubectl coco verify web-0, or -f web.yaml", "give a pod name or -f MANIFEST, not both or neither")
	}
	if o.pod != "" {
		return names.Subdomain("pod name", o.pod)
	}
	return nil
}

// Run verifies each workload and prints the points; exit 1 unless all hold.
func (o *VerifyOptions) Run(ctx context.Context) error {
	r := VerifyReport{APIVersion: "coco.osc-coco.io/v1alpha1", Kind: "VerifyReport", Workloads: []WorkloadVerdict{}, OK: true}
	tmpls, nodes, err := o.targets(ctx)
	if err != nil {
		return err
	}
	for _, t := range tmpls {
		v := o.verify(ctx, t, nodes[t.Object])
		r.OK = r.OK && v.Confidential
		r.Workloads = append(r.Workloads, v)
	}
	return cli.PrintVerdict(o.printer, o.g.Streams.Out, r, r.OK)
}

// targets are the templates to verify, with the nodes each may run on (the pod's own node; for
// a manifest, every node).
func (o *VerifyOptions) targets(ctx context.Context) ([]confidential.Template, map[string][]corev1.Node, error) {
	nodes := map[string][]corev1.Node{}
	if o.pod != "" {
		p, err := o.clients.Kube.CoreV1().Pods(o.clients.Namespace).Get(ctx, o.pod, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			if nserr := names.Namespace(ctx, o.clients.Kube, o.clients.Namespace); nserr != nil {
				return nil, nil, nserr
			}
		}
		if err != nil {
			return nil, nil, clierr.FromAPI(err, clierr.Action{Verb: "get", Resource: "pods", Namespace: o.clients.Namespace, Name: o.pod})
		}
		obj, err := runtime.DefaultUnstructuredConverter.ToUnstructured(p)
		if err != nil {
			return nil, nil, err
		}
		u := &unstructured.Unstructured{Object: obj}
		u.SetKind("Pod")
		t := confidential.Templates([]*unstructured.Unstructured{u}, o.clients.Namespace)
		if p.Spec.NodeName != "" {
			n, err := o.clients.Kube.CoreV1().Nodes().Get(ctx, p.Spec.NodeName, metav1.GetOptions{})
			if err != nil {
				return nil, nil, clierr.FromAPI(err, clierr.Action{Verb: "get", Resource: "nodes", Name: p.Spec.NodeName})
			}
			nodes[t[0].Object] = []corev1.Node{*n}
		}
		return t, nodes, nil
	}
	tmpls := confidential.Templates(o.objs, o.clients.Namespace)
	if len(tmpls) == 0 {
		return nil, nil, clierr.Usagef("give a manifest with a Pod, Deployment, ...", "%s has no workload", o.Files.String())
	}
	list, err := o.clients.Kube.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, nil, clierr.FromAPI(err, clierr.Action{Verb: "list", Resource: "nodes"})
	}
	for _, t := range tmpls {
		nodes[t.Object] = list.Items
	}
	return tmpls, nodes, nil
}

// verify checks one template's points.
func (o *VerifyOptions) verify(ctx context.Context, t confidential.Template, nodes []corev1.Node) WorkloadVerdict {
	v := WorkloadVerdict{Object: t.Object}
	v.RuntimeClass, _ = t.Spec["runtimeClassName"].(string)
	wp, initHop := o.initdataPoint(ctx, t)
	v.Points = append(v.Points, initHop)
	var teeName string
	if wp != nil {
		v.Initdata = wp.Initdata
		v.Points = append(v.Points, policyPoint(*wp))
	} else {
		v.Points = append(v.Points, cmdutil.Hop{Name: "policy", Status: cmdutil.HopFail, Detail: "no initdata, so the guest runs its image's default agent policy: allow-all in kata's release images"})
	}
	classHop, teeName := o.classPoint(ctx, v.RuntimeClass, nodes)
	v.Points = append(v.Points, classHop, o.trusteePoint(ctx, wp, teeName), o.policiesPoint())
	v.Confidential = !slices.ContainsFunc(v.Points, func(h cmdutil.Hop) bool { return h.Status != cmdutil.HopOK })
	return v
}

func (o *VerifyOptions) initdataPoint(ctx context.Context, t confidential.Template) (*WorkloadPolicy, cmdutil.Hop) {
	h := cmdutil.Hop{Name: "initdata"}
	ann := t.Annotation(initdata.Annotation)
	if ann == "" {
		h.Status, h.Detail, h.Fix = cmdutil.HopFail, "no "+initdata.Annotation+" annotation", "kubectl coco deploy -f MANIFEST"
		return nil, h
	}
	doc, err := initdata.Decode(ann)
	if err == nil {
		var wp WorkloadPolicy
		if wp, err = describe(ctx, t.Object, doc); err == nil {
			h.Status, h.Detail = cmdutil.HopOK, fmt.Sprintf("digest %s (SNP HOSTDATA %s, TDX MRCONFIGID %s)", wp.Initdata, measured(wp.Measurements, "snp"), measured(wp.Measurements, "tdx"))
			return &wp, h
		}
	}
	h.Status, h.Detail = cmdutil.HopFail, "the initdata does not decode as kata reads it: "+err.Error()
	return nil, h
}

func policyPoint(wp WorkloadPolicy) cmdutil.Hop {
	h := cmdutil.Hop{Name: "policy"}
	if e := hostEntry(wp.Allows); e != "" {
		h.Status, h.Detail, h.Fix = cmdutil.HopFail, fmt.Sprintf("%s agent policy: %s", wp.Policy, e), "kubectl coco deploy --policy restricted (or genpolicy)"
		return h
	}
	if !wp.Verified {
		h.Status, h.Detail, h.Fix = cmdutil.HopCannotTell, fmt.Sprintf("%s agent policy: %s", wp.Policy, unverified), "kubectl coco deploy --policy restricted (or genpolicy)"
		return h
	}
	logs := "logs readable"
	if !wp.Allows.Logs {
		logs = "logs hidden"
	}
	h.Status, h.Detail = cmdutil.HopOK, fmt.Sprintf("%s agent policy: no exec but the pod's exec probes, no stdin, no files, no new policy, only its own containers; %s", wp.Policy, logs)
	return h
}

// classPoint: the class runs a TEE, and a node of the pod (any node, for a manifest) has it.
func (o *VerifyOptions) classPoint(ctx context.Context, class string, nodes []corev1.Node) (cmdutil.Hop, string) {
	h := cmdutil.Hop{Name: "runtime-class"}
	if class == "" {
		h.Status, h.Detail = cmdutil.HopFail, "no runtimeClassName: the pod runs as a plain container"
		return h, ""
	}
	rc, err := o.clients.Kube.NodeV1().RuntimeClasses().Get(ctx, class, metav1.GetOptions{})
	if err != nil {
		h.Status, h.Detail = cmdutil.HopCannotTell, clierr.CannotTell(err, clierr.Action{Verb: "get", Resource: "runtimeclasses.node.k8s.io", Name: class})
		return h, ""
	}
	known, ok := catalog.Lookup(rc.Handler)
	switch {
	case !ok:
		h.Status, h.Detail = cmdutil.HopFail, fmt.Sprintf("runtime class %s: handler %s is not a CoCo TEE class kubectl coco knows", class, rc.Handler)
		return h, ""
	case !known.Confidential:
		h.Status, h.Detail = cmdutil.HopFail, fmt.Sprintf("runtime class %s: %s", class, known.Description)
		return h, ""
	}
	for _, n := range nodes {
		if catalog.HardwareFit(known, nodecheck.Evaluate(&n, nodecheck.Options{})) == catalog.Yes {
			h.Status, h.Detail = cmdutil.HopOK, fmt.Sprintf("runtime class %s runs a %s guest; node %s has it", class, known.TEE, n.Name)
			return h, teeKey(string(known.TEE))
		}
	}
	h.Status, h.Detail = cmdutil.HopFail, fmt.Sprintf("runtime class %s needs %s, and no node it may run on shows it in its labels", class, known.TEE)
	return h, teeKey(string(known.TEE))
}

// teeKey maps a TEE kind to the initdata binding's name ("sev-snp" is "snp").
func teeKey(kind string) string { return strings.TrimPrefix(kind, "sev-") }

// trusteePoint: Trustee holds the digest, in the TEE's form, as kubectl coco's reference value.
func (o *VerifyOptions) trusteePoint(ctx context.Context, wp *WorkloadPolicy, teeName string) cmdutil.Hop {
	h := cmdutil.Hop{Name: "trustee"}
	id, known := kbs.InitdataReferenceValues[teeName]
	switch {
	case wp == nil:
		h.Status, h.Detail = cmdutil.HopFail, "no initdata digest to bind"
		return h
	case !known:
		h.Status, h.Detail = cmdutil.HopCannotTell, "kubectl coco binds SNP and TDX guests; this class's TEE has no binding it registers"
		return h
	case o.admin.Client() == nil:
		h.Status, h.Detail, h.Fix = cmdutil.HopCannotTell, "needs the KBS's admin API to read reference value "+id, "--admin-url URL (e.g. a port-forward) with the admin key"
		return h
	}
	values, _, err := o.admin.Client().ReferenceValue(ctx, id)
	want := measured(wp.Measurements, teeName)
	switch {
	case err != nil:
		h.Status, h.Detail = cmdutil.HopCannotTell, err.Error()
	case !slices.Contains(values, want):
		h.Status, h.Detail, h.Fix = cmdutil.HopFail, fmt.Sprintf("Trustee does not hold %s in %s: its secrets are not bound to this workload", want, id), "kubectl coco deploy -f MANIFEST --bind"
	default:
		h.Status, h.Detail = cmdutil.HopOK, fmt.Sprintf("Trustee holds %s in %s (kubectl coco deploy --bind sets the attestation policy that checks it; v0.21 cannot show it)", want, id)
	}
	return h
}

// policiesPoint: what verify cannot read, said; vouched for only on request.
func (o *VerifyOptions) policiesPoint() cmdutil.Hop {
	h := cmdutil.Hop{Name: "trustee-policies"}
	if o.AssumePolicies {
		h.Status, h.Detail = cmdutil.HopOK, "assumed (--assume-policies): the attestation policy "+kbs.BoundPolicyID+" and the restricted resource policy deploy --bind set"
		return h
	}
	h.Status, h.Detail, h.Fix = cmdutil.HopCannotTell, "Trustee v0.21 cannot show its attestation and resource policies, so whether they are still those deploy --bind set cannot be read",
		"rerun kubectl coco deploy --bind (it sets them again), then --assume-policies if nobody else holds the admin key"
	return h
}

func (o *VerifyOptions) printHuman(w io.Writer, r VerifyReport) error {
	p := o.g.Palette(w)
	for _, v := range r.Workloads {
		verdict := p.Bad("NOT confidential")
		if v.Confidential {
			verdict = p.Good("confidential")
		}
		fmt.Fprintf(w, "%s (runtime class %s): %s\n", v.Object, v.RuntimeClass, verdict)
		for _, h := range v.Points {
			mark := map[string]string{cmdutil.HopOK: p.Good("✓"), cmdutil.HopFail: p.Bad("✗"), cmdutil.HopCannotTell: p.Bad("?"), cmdutil.HopSkipped: "-"}[h.Status]
			fmt.Fprintf(w, "  %s %-14s %s\n", mark, h.Name, h.Detail)
			if h.Fix != "" && h.Status != cmdutil.HopOK {
				fmt.Fprintf(w, "    fix: %s\n", h.Fix)
			}
		}
	}
	return nil
}
