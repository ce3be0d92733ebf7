package cmd

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/osc-coco/kubectl-plugins/lib/cli"
	"github.com/osc-coco/kubectl-plugins/lib/clierr"
	"github.com/osc-coco/kubectl-plugins/lib/output"
	"github.com/osc-coco/kubectl-plugins/plugins/coco/kbs"
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

func newTrusteeResourceCommand(a *kbsAccess) *cobra.Command {
	cmd := &cobra.Command{Use: "resource", Short: "Put resources (secrets, keys) into the KBS, or remove them"}
	cmd.AddCommand(newTrusteeResourceSetCommand(a), newTrusteeResourceDeleteCommand(a))
	return cmd
}

// ResourceSetOptions stores one resource.
type ResourceSetOptions struct {
	a        *kbsAccess
	out      output.Flags
	FromFile string
	Literal  string
	DryRun   bool

	format output.Format
	path   kbs.Path
	value  []byte
}

func newTrusteeResourceSetCommand(a *kbsAccess) *cobra.Command {
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
	cmd.Flags().BoolVar(&o.DryRun, "dry-run", false, "say what would be stored, and store nothing")
	return cmd
}

// Complete reads the path, the value and -o, and prepares the client.
func (o *ResourceSetOptions) Complete(args []string) error {
	var err error
	if o.format, err = o.out.Format(); err != nil {
		return clierr.Usagef(output.FormatFix, "%v", err)
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
	return o.a.connect()
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
func (o *ResourceSetOptions) Validate() error { return nil }

// Run stores the value.
func (o *ResourceSetOptions) Run(ctx context.Context) error {
	r := TrusteeResult{APIVersion: "coco.osc-coco.io/v1alpha1", Kind: "TrusteeResult", KBS: o.a.URL, Action: "set-resource",
		Target: o.path.URI(), Bytes: len(o.value), Result: "done"}
	if o.DryRun {
		r.Result = "would-do"
	} else if err := o.a.client.SetResource(ctx, o.path, o.value); err != nil {
		return kbsFailure(err, "storing "+o.path.URI())
	}
	return printTrusteeResult(o.a.g, o.format, r)
}

// ResourceDeleteOptions removes one resource.
type ResourceDeleteOptions struct {
	a      *kbsAccess
	out    output.Flags
	DryRun bool

	format output.Format
	path   kbs.Path
}

func newTrusteeResourceDeleteCommand(a *kbsAccess) *cobra.Command {
	o := &ResourceDeleteOptions{a: a, out: output.Flags{Allowed: []output.Format{output.Human, output.JSON, output.YAML}}}
	cmd := &cobra.Command{
		Use:   "delete REPO/TYPE/TAG",
		Short: "Remove a resource from the KBS",
		Args:  cli.ExactArgs(1, "the resource as REPO/TYPE/TAG"),
		RunE:  cli.RunE(o),
	}
	o.out.AddFlags(cmd)
	cmd.Flags().BoolVar(&o.DryRun, "dry-run", false, "say what would be removed, and remove nothing")
	return cmd
}

// Complete reads the path and -o, and prepares the client.
func (o *ResourceDeleteOptions) Complete(args []string) error {
	var err error
	if o.format, err = o.out.Format(); err != nil {
		return clierr.Usagef(output.FormatFix, "%v", err)
	}
	if o.path, err = kbs.ParsePath(args[0]); err != nil {
		return clierr.Usagef("e.g. default/db/password", "%v", err)
	}
	return o.a.connect()
}

// Validate has nothing more to check.
func (o *ResourceDeleteOptions) Validate() error { return nil }

// Run removes the resource. The admin API cannot tell an absent resource from another failure
// of the resource plugin (both are PluginInternalError), so removing one that is not there
// fails and says that it may not exist.
func (o *ResourceDeleteOptions) Run(ctx context.Context) error {
	r := TrusteeResult{APIVersion: "coco.osc-coco.io/v1alpha1", Kind: "TrusteeResult", KBS: o.a.URL, Action: "delete-resource", Target: o.path.URI(), Result: "done"}
	if o.DryRun {
		r.Result = "would-do"
	} else if err := o.a.client.DeleteResource(ctx, o.path); err != nil {
		return kbsFailure(err, "removing "+o.path.URI())
	}
	return printTrusteeResult(o.a.g, o.format, r)
}

func printTrusteeResult(g *cli.Globals, format output.Format, r TrusteeResult) error {
	if format.Structured() {
		return output.Print(g.Streams.Out, format, r)
	}
	what := map[string]string{"done": "", "would-do": " (dry run: nothing sent)"}[r.Result]
	size := ""
	if r.Bytes > 0 {
		size = fmt.Sprintf(" (%d bytes)", r.Bytes)
	}
	_, err := fmt.Fprintf(g.Streams.Out, "%s %s%s at %s%s\n", r.Action, r.Target, size, r.KBS, what)
	return err
}
