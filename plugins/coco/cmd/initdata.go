package cmd

import (
	"context"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/osc-coco/kubectl-plugins/lib/cli"
	"github.com/osc-coco/kubectl-plugins/lib/clierr"
	"github.com/osc-coco/kubectl-plugins/lib/output"
	"github.com/osc-coco/kubectl-plugins/plugins/coco/agentpolicy"
	"github.com/osc-coco/kubectl-plugins/plugins/coco/cmd/trustee"
	"github.com/osc-coco/kubectl-plugins/plugins/coco/confidential"
	"github.com/osc-coco/kubectl-plugins/plugins/coco/imagepin"
	"github.com/osc-coco/kubectl-plugins/plugins/coco/initdata"
	"github.com/osc-coco/kubectl-plugins/plugins/coco/preflight"
)

// InitdataOptions writes (or, with --decode, reads back) an initdata document.
type InitdataOptions struct {
	g          *cli.Globals
	out        output.Flags
	KBSURL     string
	KBSCert    string
	Policy     string
	Algorithm  string
	DecodeFrom string
	Files      manifestFlags // the workload a restricted or genpolicy policy is made for
	pf         policyFlags   // --policy and its companions (the initdata command's own)
	standalone bool          // the initdata command, not deploy's embedded options
	objs       []*unstructured.Unstructured

	printer *output.Printer[*InitdataReport]
	cert    string // the files' contents, read in Complete
	policy  string
	encoded string // --decode's value
}

// InitdataReport is the schema of "initdata -o json|yaml".
type InitdataReport struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Algorithm  string `json:"algorithm"`
	// Document is the TOML text whose bytes are measured.
	Document   string `json:"document"`
	Annotation struct {
		Key   string `json:"key"`
		Value string `json:"value"`
	} `json:"annotation"`
	Digest       string              `json:"digest"`
	Measurements []initdata.Measured `json:"measurements"`
	Keys         []string            `json:"keys"`
	// Policy is where its agent policy comes from; Allows what it lets the host do.
	Policy agentpolicy.Kind     `json:"policy"`
	Allows *agentpolicy.Effects `json:"allows,omitempty"`
}

// newInitdataOptions are the initdata command's defaults.
func newInitdataOptions(g *cli.Globals) *InitdataOptions {
	return &InitdataOptions{g: g, Algorithm: "sha384", standalone: true, pf: policyFlags{g: g, Mode: policyRestricted},
		out: output.Flags{Allowed: []output.Format{output.Human, output.JSON}}}
}

func newInitdataCommand(g *cli.Globals) *cobra.Command {
	o := newInitdataOptions(g)
	cmd := &cobra.Command{
		Use:   "initdata [--kbs-url URL [--kbs-cert FILE]] [--policy restricted|genpolicy|allow-all|FILE] [-f WORKLOAD] [--algorithm sha256|sha384|sha512]",
		Short: "Write the initdata a confidential pod carries: KBS settings for the guest, the agent policy, and its digest per TEE",
		Long: `Writes the initdata document (Trustee's initdata specification, version 0.1.0) that points the
guest's Attestation Agent (aa.toml) and Confidential Data Hub (cdh.toml) at the KBS and carries
the kata agent policy (policy.rego), and prints:

  - the document (TOML; its exact bytes are what is measured),
  - the value of the pod annotation ` + initdata.Annotation + `
    (the document gzipped, then base64, as kata-containers reads it),
  - its digest, and the digest as each TEE carries it in its evidence (SNP HOSTDATA, TDX
    MRCONFIGID, CCA personalization value, SE user data: cut or zero-padded to the field),
    which is what reference values and attestation policies compare.

The agent policy (--policy) is never left out, since a guest without one runs its image's
default, which lets the host in: restricted (kubectl coco's, made for the one workload in -f,
its images pinned to digests: deploy that manifest with the same images) and genpolicy (kata's
tool, on -f) shut the host out; a FILE is your Rego (checked to parse and to define what a pod
needs); allow-all is said to be NOT confidential. --decode reads an annotation value back (from
a pod) and shows the same, with the policy it carries.`,
		Example: `  kubectl coco initdata --kbs-url http://10.0.0.5:8080 -f web.yaml
  kubectl coco initdata --kbs-url https://kbs.example.com:8443 --kbs-cert kbs.crt --policy policy.rego -o json
  kubectl coco initdata --kbs-url http://10.0.0.5:8080 -o jsonpath='{.annotation.value}'
  kubectl get pod web -o jsonpath='{.metadata.annotations.io\.katacontainers\.config\.hypervisor\.cc_init_data}' | kubectl coco initdata --decode -`,
		Args: cli.NoArgs,
		RunE: cli.RunE(o),
	}
	o.out.AddFlags(cmd)
	f := cmd.Flags()
	f.StringVar(&o.KBSURL, "kbs-url", "", "the KBS as the guests reach it (scheme, host and port)")
	f.StringVar(&o.KBSCert, "kbs-cert", "", "PEM certificate of an https KBS")
	f.StringVar(&o.Policy, "agent-policy", "", "deprecated: use --policy FILE")
	_ = f.MarkDeprecated("agent-policy", "use --policy FILE")
	o.Files.addFlags(f, "the workload (one Pod, Deployment, ...) a restricted or genpolicy policy is made for")
	o.pf.addFlags(f)
	f.StringVar(&o.Algorithm, "algorithm", o.Algorithm, "digest algorithm: "+strings.Join(initdata.Algorithms, ", "))
	f.StringVar(&o.DecodeFrom, "decode", "", "read an annotation value back instead (\"-\" for stdin)")
	_ = cmd.RegisterFlagCompletionFunc("algorithm", cobra.FixedCompletions(initdata.Algorithms, cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

// Complete reads -o and the files the flags name.
func (o *InitdataOptions) Complete([]string) error {
	var err error
	if o.printer, err = output.ToPrinter(&o.out, o.printHuman); err != nil {
		return err
	}
	if o.KBSCert == "" && strings.HasPrefix(o.KBSURL, "https://") && trustee.DefaultKBSCert() != "" {
		// The CA of the KBS kubectl coco trustee install serves HTTPS with.
		o.KBSCert = trustee.DefaultKBSCert()
		o.g.Note("kbs_cert: the KBS's CA made by kubectl coco trustee install, " + o.KBSCert + " (--kbs-cert to give another)")
	}
	if o.cert, err = readFlagFile("--kbs-cert", o.KBSCert); err != nil {
		return err
	}
	if o.policy, err = readFlagFile("--agent-policy", o.Policy); err != nil {
		return err
	}
	o.encoded = o.DecodeFrom // --decode takes the value itself, or - for stdin
	if o.DecodeFrom == "-" {
		b, err := io.ReadAll(io.LimitReader(o.g.Streams.In, 4<<20))
		if err != nil {
			return clierr.Usagef("pipe the annotation's value into --decode -", "reading stdin: %v", err)
		}
		o.encoded = string(b)
	}
	if !o.standalone || o.DecodeFrom != "" {
		return nil
	}
	return o.completePolicy()
}

// completePolicy reads the workload and the policy of the initdata command.
func (o *InitdataOptions) completePolicy() error {
	if o.Policy != "" { // --agent-policy FILE
		o.pf.Mode, o.policy = o.Policy, ""
	}
	if o.Files.given() {
		var err error
		if o.objs, err = o.Files.read(o.g.Streams.In); err != nil {
			return err
		}
	}
	return o.pf.complete(context.Background())
}

// readFlagFile reads the file a flag names ("" for none).
func readFlagFile(flag, path string) (string, error) {
	if path == "" {
		return "", nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return "", clierr.Usagef("give a readable file", "%s: %v", flag, err)
	}
	return string(b), nil
}

// Validate checks the flags against what kata-containers and the guest components accept.
func (o *InitdataOptions) Validate() error {
	if o.DecodeFrom != "" {
		if o.KBSURL != "" || o.KBSCert != "" || o.Policy != "" {
			return clierr.Usagef("use --decode alone", "--decode reads a document back; it takes no --kbs-url, --kbs-cert or --agent-policy")
		}
		return nil
	}
	if o.Files.given() {
		tmpls := confidential.Templates(o.objs, "default")
		if len(tmpls) != 1 {
			return clierr.Usagef("give a manifest with one workload (deploy takes several)", "-f %s has %d workloads", o.Files.String(), len(tmpls))
		}
	} else if o.pf.Mode == policyRestricted || o.pf.Mode == policyGenpolicy {
		return clierr.Usagef("give the workload: -f web.yaml; or --policy FILE|allow-all",
			"--policy %s is made for a workload's containers and images: -f is required", o.pf.Mode)
	}
	if o.KBSURL != "" {
		if err := initdata.CheckKBSURL(o.KBSURL); err != nil {
			return clierr.Usagef("e.g. --kbs-url http://10.0.0.5:8080 (the KBS's address as the worker nodes reach it)", "--kbs-url: %v", err)
		}
	} else if o.KBSCert != "" {
		return clierr.Usagef("add --kbs-url URL", "--kbs-cert goes with --kbs-url")
	}
	return nil
}

func (o *InitdataOptions) request() initdata.Options {
	return initdata.Options{KBSURL: o.KBSURL, KBSCert: o.cert, Policy: o.policy, Algorithm: o.Algorithm}
}

// Run builds (or decodes) the document and prints it with its annotation and digests.
func (o *InitdataOptions) Run(context.Context) error {
	doc, err := o.document()
	if err != nil {
		return err
	}
	r, err := initdataReport(doc)
	if err != nil {
		return err
	}
	wp, err := describe(context.Background(), "", doc)
	if err != nil {
		return err
	}
	r.Policy, r.Allows = wp.Policy, &wp.Allows
	if e := hostEntry(wp.Allows); e != "" {
		o.g.Warn(fmt.Sprintf("NOT confidential: the agent policy (%s) lets %s", wp.Policy, e))
	} else if !wp.Verified {
		o.g.Note(unverified)
	}
	return o.printer.Print(o.g.Streams.Out, r)
}

// document is the TOML text: built from the flags (for -f's workload, or with the policy
// alone), or decoded from --decode's value.
func (o *InitdataOptions) document() ([]byte, error) {
	if o.DecodeFrom == "" && o.Files.given() {
		return o.workloadDocument()
	}
	if o.DecodeFrom == "" {
		req := o.request()
		if o.standalone {
			req.Policy = o.pf.file
			if o.pf.Mode == policyAllowAll {
				req.Policy = agentpolicy.AllowAll()
			}
		}
		d, err := initdata.Build(req)
		if err != nil {
			return nil, clierr.Usagef("see kubectl coco initdata --help", "%v", err)
		}
		return d.Marshal()
	}
	doc, err := initdata.Decode(o.encoded)
	if err != nil {
		return nil, clierr.Failf("give the annotation's value as kubectl get pod -o jsonpath prints it", "%v", err)
	}
	return doc, nil
}

// workloadDocument is the document of -f's one workload, its images pinned as deploy pins them.
func (o *InitdataOptions) workloadDocument() ([]byte, error) {
	ctx := context.Background()
	prepared, err := confidential.Prepare(o.objs, confidential.Options{RuntimeClass: "kubectl-coco-initdata"})
	if err != nil {
		return nil, clierr.Usagef("give a Pod, Deployment, ReplicaSet, StatefulSet, DaemonSet, Job or CronJob", "%v", err)
	}
	tmpls := confidential.Templates(prepared.Objects, "default")
	pins, err := o.pf.pinImages(ctx, tmpls)
	if err != nil {
		return nil, err
	}
	wps, err := o.pf.build(ctx, tmpls, prepared.Objects, o.request(), "")
	if err != nil {
		return nil, err
	}
	if slices.ContainsFunc(pins, func(p imagepin.Pinned) bool { return p.Resolved }) {
		o.g.Note("deploy " + o.Files.String() + " with the images pinned above (kubectl coco deploy pins them the same way): the policy admits only those")
	}
	return initdata.Decode(wps[0].annotation)
}

func initdataReport(doc []byte) (*InitdataReport, error) {
	d, err := initdata.Parse(doc)
	if err != nil {
		return nil, clierr.Failf("kata-containers would refuse this pod's initdata too", "%v", err)
	}
	sum, err := initdata.Digest(d.Algorithm, doc)
	if err != nil {
		return nil, err
	}
	enc, err := initdata.Encode(doc)
	if err != nil {
		return nil, err
	}
	r := &InitdataReport{APIVersion: preflight.APIVersion, Kind: "Initdata", Algorithm: d.Algorithm, Document: string(doc),
		Digest: hex.EncodeToString(sum), Measurements: initdata.Measure(sum), Keys: []string{}}
	r.Annotation.Key, r.Annotation.Value = initdata.Annotation, enc
	for k := range d.Data {
		r.Keys = append(r.Keys, k)
	}
	slices.Sort(r.Keys)
	return r, nil
}

func (o *InitdataOptions) printHuman(w io.Writer, r *InitdataReport) error {
	fmt.Fprintf(w, "# initdata (%s): %s\n%s\n", r.Algorithm, strings.Join(r.Keys, ", "), strings.TrimRight(r.Document, "\n"))
	fmt.Fprintf(w, "\nAnnotation %s:\n%s\n\nDigest (%s): %s\n\n", r.Annotation.Key, r.Annotation.Value, r.Algorithm, r.Digest)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	if !o.out.NoHeaders {
		fmt.Fprintln(tw, "TEE\tFIELD\tBYTES\tVALUE (HEX)")
	}
	for _, m := range r.Measurements {
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\n", m.TEE, m.Field, m.Bytes, fieldValue(m.Hex, r.Digest))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if r.Allows != nil && r.Allows.ShutsHostOut() {
		logs := "readable"
		if !r.Allows.Logs {
			logs = "hidden"
		}
		fmt.Fprintf(w, "\nAgent policy: %s; the host is shut out (no exec but the pods' exec probes, no stdin, no files, no new policy); logs %s\n", r.Policy, logs)
	} else {
		fmt.Fprintf(w, "\nAgent policy: %s; NOT confidential: %s\n", r.Policy, hostEntry(*r.Allows))
	}
	return nil
}

// fieldValue shows a field that is the digest zero-padded as the digest and the padding (a
// 256-byte SE field is 512 hex digits); -o json has every field in full.
func fieldValue(field, digest string) string {
	if len(field) > len(digest) && strings.HasPrefix(field, digest) && strings.Trim(field[len(digest):], "0") == "" {
		return fmt.Sprintf("%s + %d zero bytes", digest, (len(field)-len(digest))/2)
	}
	return field
}
