package trustee

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/osc-coco/kubectl-plugins/lib/cli"
	"github.com/osc-coco/kubectl-plugins/lib/clierr"
	"github.com/osc-coco/kubectl-plugins/lib/kube"
	"github.com/osc-coco/kubectl-plugins/lib/output"
	"github.com/osc-coco/kubectl-plugins/plugins/coco/cmd/cmdutil"
	"github.com/osc-coco/kubectl-plugins/plugins/coco/kbs"
	"github.com/osc-coco/kubectl-plugins/plugins/coco/sealed"
)

// TrusteeResult is the schema of the trustee commands' -o json|yaml. It never holds a
// resource's value.
type TrusteeResult struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	KBS        string `json:"kbs"`
	Action     string `json:"action"` // set-resource, delete-resource, set-resource-policy, ...
	Target     string `json:"target"` // the resource's URI, or the policy's id
	Bytes      int    `json:"bytes,omitempty"`
	Result     string `json:"result"` // done, would-do
}

func newTrusteeResourceCommand(a *KBSAccess) *cobra.Command {
	cmd := &cobra.Command{Use: "resource", Short: "Put resources (secrets, keys) into the KBS, or remove them"}
	set, del := newTrusteeResourceSetCommand(a), newTrusteeResourceDeleteCommand(a)
	for _, c := range []*cobra.Command{set, del} {
		a.addFlags(c) // the KBS flags belong to the admin API calls
	}
	cmd.AddCommand(set, del, newTrusteeResourceGetInfoCommand(a.g))
	return cmd
}

// ResourceSetOptions stores one resource.
type ResourceSetOptions struct {
	a        *KBSAccess
	out      output.Flags
	FromFile string
	Literal  string
	DryRun   cli.DryRun

	printer *output.Printer[TrusteeResult]
	path    kbs.Path
	value   []byte
}

func newTrusteeResourceSetCommand(a *KBSAccess) *cobra.Command {
	o := &ResourceSetOptions{a: a, out: output.Flags{Allowed: []output.Format{output.Human, output.JSON, output.YAML}}}
	cmd := &cobra.Command{
		Use:   "set REPO/TYPE/TAG (--from-file FILE | --from-literal VALUE)",
		Short: "Store a resource a guest may fetch after attestation (kbs:///REPO/TYPE/TAG)",
		Long: `Stores the value at REPO/TYPE/TAG (replacing what is there). Guests name it kbs:///REPO/TYPE/TAG;
sealed secrets point at it. The value is never printed. --from-file - reads stdin; prefer a file
or stdin to --from-literal, which your shell's history keeps.`,
		Example: `  kubectl coco trustee resource set default/db/password --from-file password.txt --kbs-url http://127.0.0.1:8080
  kubectl coco trustee resource set default/sealing-key/public --from-file ~/.config/kubectl-coco/sealing-key.pub.jwk --kbs-url http://127.0.0.1:8080`,
		Args: cli.ExactArgs(1, "the resource as REPO/TYPE/TAG"),
		RunE: cli.RunE(o),
	}
	o.out.AddFlags(cmd)
	cmd.Flags().StringVar(&o.FromFile, "from-file", "", "read the value from this file (- for stdin)")
	cmd.Flags().StringVar(&o.Literal, "from-literal", "", "the value itself")
	cli.AddDryRunFlag(cmd.Flags(), &o.DryRun, "say what would be stored, and store nothing")
	return cmd
}

// Complete reads the path, the value and -o, and prepares the client.
func (o *ResourceSetOptions) Complete(args []string) error {
	var err error
	if o.printer, err = output.ToPrinter(&o.out, printTrusteeResult); err != nil {
		return err
	}
	if o.path, err = kbs.ParsePath(args[0]); err != nil {
		return clierr.Usagef("e.g. default/db/password", "%v", err)
	}
	if (o.FromFile == "") == (o.Literal == "") {
		return clierr.Usagef("e.g. --from-file password.txt", "give the value with exactly one of --from-file and --from-literal")
	}
	if o.value, err = o.read(); err != nil {
		return err
	}
	return o.a.Connect()
}

func (o *ResourceSetOptions) read() ([]byte, error) {
	if o.Literal != "" {
		return []byte(o.Literal), nil
	}
	var data []byte
	var err error
	if o.FromFile == "-" {
		data, err = io.ReadAll(io.LimitReader(o.a.g.Streams.In, 1<<20+1))
	} else {
		data, err = os.ReadFile(o.FromFile)
	}
	switch {
	case err != nil:
		return nil, clierr.Usagef("give a readable file", "--from-file: %v", err)
	case len(data) > 1<<20:
		return nil, clierr.Usagef("store a smaller value (or a key that unlocks it)", "the value is larger than 1 MiB")
	}
	return data, nil
}

// Validate has nothing more to check.
func (o *ResourceSetOptions) Validate() error { return o.DryRun.ClientOnly() }

// Run stores the value.
func (o *ResourceSetOptions) Run(ctx context.Context) error {
	r := TrusteeResult{APIVersion: "coco.osc-coco.io/v1alpha1", Kind: "TrusteeResult", KBS: o.a.URL, Action: "set-resource",
		Target: o.path.URI(), Bytes: len(o.value), Result: "done"}
	if o.DryRun.On() {
		r.Result = "would-do"
	} else if err := o.a.client.SetResource(ctx, o.path, o.value); err != nil {
		return KBSFailure(err, "storing "+o.path.URI())
	}
	return o.printer.Print(o.a.g.Streams.Out, r)
}

// ResourceDeleteOptions removes one resource.
type ResourceDeleteOptions struct {
	a      *KBSAccess
	out    output.Flags
	DryRun cli.DryRun

	printer *output.Printer[TrusteeResult]
	path    kbs.Path
}

func newTrusteeResourceDeleteCommand(a *KBSAccess) *cobra.Command {
	o := &ResourceDeleteOptions{a: a, out: output.Flags{Allowed: []output.Format{output.Human, output.JSON, output.YAML}}}
	cmd := &cobra.Command{
		Use:   "delete REPO/TYPE/TAG",
		Short: "Remove a resource from the KBS",
		Args:  cli.ExactArgs(1, "the resource as REPO/TYPE/TAG"),
		RunE:  cli.RunE(o),
	}
	o.out.AddFlags(cmd)
	cli.AddDryRunFlag(cmd.Flags(), &o.DryRun, "say what would be removed, and remove nothing")
	return cmd
}

// Complete reads the path and -o, and prepares the client.
func (o *ResourceDeleteOptions) Complete(args []string) error {
	var err error
	if o.printer, err = output.ToPrinter(&o.out, printTrusteeResult); err != nil {
		return err
	}
	if o.path, err = kbs.ParsePath(args[0]); err != nil {
		return clierr.Usagef("e.g. default/db/password", "%v", err)
	}
	return o.a.Connect()
}

// Validate has nothing more to check.
func (o *ResourceDeleteOptions) Validate() error { return o.DryRun.ClientOnly() }

// Run removes the resource. The admin API cannot tell an absent resource from another failure
// of the resource plugin (both are PluginInternalError), so removing one that is not there
// fails and says that it may not exist.
func (o *ResourceDeleteOptions) Run(ctx context.Context) error {
	r := TrusteeResult{APIVersion: "coco.osc-coco.io/v1alpha1", Kind: "TrusteeResult", KBS: o.a.URL, Action: "delete-resource", Target: o.path.URI(), Result: "done"}
	if o.DryRun.On() {
		r.Result = "would-do"
	} else if err := o.a.client.DeleteResource(ctx, o.path); err != nil {
		return KBSFailure(err, "removing "+o.path.URI())
	}
	return o.printer.Print(o.a.g.Streams.Out, r)
}

func printTrusteeResult(w io.Writer, r TrusteeResult) error {
	what := map[string]string{"done": "", "would-do": " (dry run: nothing sent)"}[r.Result]
	size := ""
	if r.Bytes > 0 {
		size = fmt.Sprintf(" (%d bytes)", r.Bytes)
	}
	_, err := fmt.Fprintf(w, "%s %s%s at %s%s\n", r.Action, r.Target, size, r.KBS, what)
	return err
}

// ResourceInfo is the schema of "trustee resource get-info -o json|yaml".
type ResourceInfo struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	URI        string `json:"uri"`
	// InKBS is what the KBS can tell: its v0.21 admin API sets and deletes resources but has
	// no read, and only an attested guest may fetch one.
	InKBS string `json:"inKBS"`
	// SealedSecrets are the Secrets kubectl coco sealed that point at the resource, and those
	// whose signature is checked with it (their kid).
	SealedSecrets []string `json:"sealedSecrets"`
	SigningKeyFor []string `json:"signingKeyFor"`
	CannotTell    []string `json:"cannotTell"`
}

// ResourceGetInfoOptions says what is known about a resource without fetching it.
type ResourceGetInfoOptions struct {
	g       *cli.Globals
	out     output.Flags
	printer *output.Printer[ResourceInfo]
	path    kbs.Path
	clients *kube.Clients
}

func newTrusteeResourceGetInfoCommand(g *cli.Globals) *cobra.Command {
	o := &ResourceGetInfoOptions{g: g, out: output.Flags{Allowed: []output.Format{output.Human, output.JSON, output.YAML}}}
	cmd := &cobra.Command{
		Use:   "get-info REPO/TYPE/TAG",
		Short: "Which sealed Secrets in the cluster point at a resource (the KBS's admin API cannot read it back)",
		Long: `Trustee's KBS (v0.21) lets its administrator set and delete a resource but not read it; only an
attested guest may fetch one. get-info says so, and lists the Secrets kubectl coco sealed in
the cluster that point at the resource, or whose signature is checked with it.`,
		Args: cli.ExactArgs(1, "the resource as REPO/TYPE/TAG"),
		RunE: cli.RunE(o),
	}
	o.out.AddFlags(cmd)
	return cmd
}

// Complete reads the path and -o, and connects to the cluster.
func (o *ResourceGetInfoOptions) Complete(args []string) error {
	var err error
	if o.printer, err = output.ToPrinter(&o.out, o.printHuman); err != nil {
		return err
	}
	if o.path, err = kbs.ParsePath(args[0]); err != nil {
		return clierr.Usagef("e.g. default/db/password", "%v", err)
	}
	return o.g.ClientsInto(&o.clients)
}

// Validate has nothing more to check.
func (o *ResourceGetInfoOptions) Validate() error { return nil }

// Run lists the sealed Secrets of every namespace the user may read.
func (o *ResourceGetInfoOptions) Run(ctx context.Context) error {
	r := ResourceInfo{APIVersion: "coco.osc-coco.io/v1alpha1", Kind: "ResourceInfo", URI: o.path.URI(), SealedSecrets: []string{}, SigningKeyFor: []string{}, CannotTell: []string{},
		InKBS: "cannot tell: the KBS's admin API has no read of resources; only an attested guest can fetch " + o.path.URI()}
	list, err := o.clients.Kube.CoreV1().Secrets("").List(ctx, metav1.ListOptions{LabelSelector: cmdutil.ManagedByLabel + "=" + cmdutil.ManagedBy})
	if err != nil {
		r.CannotTell = append(r.CannotTell, clierr.CannotTell(err, clierr.Action{Verb: "list", Resource: "secrets"}))
	} else {
		for _, s := range list.Items {
			for key, v := range s.Data {
				p, err := sealed.Parse(string(v))
				if err != nil {
					continue
				}
				ref := s.Namespace + "/" + s.Name + " (key " + key + ")"
				if p.Secret.Name == r.URI {
					r.SealedSecrets = append(r.SealedSecrets, ref)
				}
				if p.Header.Kid == r.URI {
					r.SigningKeyFor = append(r.SigningKeyFor, ref)
				}
			}
		}
	}
	return o.printer.Print(o.g.Streams.Out, r)
}

func (o *ResourceGetInfoOptions) printHuman(w io.Writer, r ResourceInfo) error {
	fmt.Fprintf(w, "%s\n  in the KBS: %s\n", r.URI, r.InKBS)
	fmt.Fprintf(w, "  sealed Secrets pointing at it: %s\n  sealed Secrets checked with it: %s\n", listOrNone(r.SealedSecrets), listOrNone(r.SigningKeyFor))
	for _, c := range r.CannotTell {
		fmt.Fprintln(w, "  "+c)
	}
	return nil
}

func listOrNone(s []string) string {
	if len(s) == 0 {
		return "none"
	}
	return strings.Join(s, ", ")
}
