package trustee

import (
	"context"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/osc-coco/kubectl-plugins/lib/cli"
	"github.com/osc-coco/kubectl-plugins/lib/clierr"
	"github.com/osc-coco/kubectl-plugins/lib/output"
	"github.com/osc-coco/kubectl-plugins/plugins/coco/initdata"
	"github.com/osc-coco/kubectl-plugins/plugins/coco/kbs"
)

func newTrusteePolicyCommand(a *KBSAccess) *cobra.Command {
	cmd := &cobra.Command{Use: "policy", Short: "Set the KBS's resource policy or the attestation service's policy"}
	cmd.AddCommand(newTrusteePolicySetCommand(a), newTrusteePolicyGetCommand(a))
	return cmd
}

// PolicySetOptions sets one policy.
type PolicySetOptions struct {
	a                 *KBSAccess
	out               output.Flags
	ResourcePolicy    string
	Profile           string
	AttestationPolicy string
	PolicyID          string
	DryRun            cli.DryRun

	printer *output.Printer[TrusteeResult]
	rego    []byte
}

func newTrusteePolicySetCommand(a *KBSAccess) *cobra.Command {
	o := &PolicySetOptions{a: a, PolicyID: "default_cpu", out: output.Flags{Allowed: []output.Format{output.Human, output.JSON, output.YAML}}}
	cmd := &cobra.Command{
		Use:   "set (--resource-policy FILE | --profile restricted|permissive | --attestation-policy FILE [--policy-id ID])",
		Short: "Replace the resource policy (who may fetch what) or an attestation policy (what evidence is trusted)",
		Long: `--resource-policy replaces the KBS's resource policy (Rego, package policy, rule allow), which
decides from the attestation token's claims which resources a guest may fetch. --profile sets
one of kubectl coco's: restricted (every attested submodule affirming: the evidence matched the
reference values) or permissive (any attested requester, the sample TEE included: development
only).
--attestation-policy sets the attestation service's policy --policy-id (default "default_cpu",
as kbs-client), which appraises the evidence.`,
		Example: `  kubectl coco trustee policy set --resource-policy resource-policy.rego --kbs-url http://127.0.0.1:8080`,
		Args:    cli.NoArgs,
		RunE:    cli.RunE(o),
	}
	o.out.AddFlags(cmd)
	f := cmd.Flags()
	f.StringVar(&o.ResourcePolicy, "resource-policy", "", "Rego file with the resource policy")
	f.StringVar(&o.Profile, "profile", "", "a resource policy of kubectl coco's: restricted or permissive")
	_ = cmd.RegisterFlagCompletionFunc("profile", cobra.FixedCompletions([]string{"restricted", "permissive"}, cobra.ShellCompDirectiveNoFileComp))
	f.StringVar(&o.AttestationPolicy, "attestation-policy", "", "Rego file with an attestation policy")
	f.StringVar(&o.PolicyID, "policy-id", o.PolicyID, "the attestation policy's id")
	cli.AddDryRunFlag(f, &o.DryRun, "check the file and say what would be set; send nothing")
	return cmd
}

// Complete reads the policy file and -o, and prepares the client.
func (o *PolicySetOptions) Complete([]string) error {
	var err error
	if o.printer, err = output.ToPrinter(&o.out, printTrusteeResult); err != nil {
		return err
	}
	given := 0
	for _, f := range []string{o.ResourcePolicy, o.Profile, o.AttestationPolicy} {
		if f != "" {
			given++
		}
	}
	if given != 1 {
		return clierr.Usagef("e.g. --profile restricted", "give exactly one of --resource-policy, --profile and --attestation-policy")
	}
	if o.Profile != "" {
		rego, ok := kbs.Profiles[o.Profile]
		if !ok {
			return clierr.Usagef("use --profile restricted or --profile permissive", "unknown --profile %q", o.Profile)
		}
		o.rego = []byte(rego)
		return o.a.Connect()
	}
	file := o.ResourcePolicy + o.AttestationPolicy
	if o.rego, err = os.ReadFile(file); err != nil {
		return clierr.Usagef("give a readable Rego file", "%v", err)
	}
	if err := initdata.CheckPolicy(string(o.rego)); err != nil {
		return clierr.Usagef("give a Rego module (package policy ...)", "%s: %v", file, strings.Replace(err.Error(), "the agent policy", "the policy", 1))
	}
	return o.a.Connect()
}

// Validate checks the policy id.
func (o *PolicySetOptions) Validate() error {
	if err := o.DryRun.ClientOnly(); err != nil {
		return err
	}
	if o.AttestationPolicy != "" && strings.TrimSpace(o.PolicyID) == "" {
		return clierr.Usagef("e.g. --policy-id default_cpu", "--policy-id must not be empty")
	}
	return nil
}

// Run sends the policy.
func (o *PolicySetOptions) Run(ctx context.Context) error {
	r := TrusteeResult{APIVersion: "coco.osc-coco.io/v1alpha1", Kind: "TrusteeResult", KBS: o.a.URL, Bytes: len(o.rego), Result: "done"}
	var err error
	switch {
	case o.DryRun.On():
		r.Result = "would-do"
	case o.AttestationPolicy == "":
		err = o.a.client.SetResourcePolicy(ctx, o.rego)
	default:
		err = o.a.client.SetAttestationPolicy(ctx, o.PolicyID, o.rego)
	}
	if r.Action, r.Target = "set-resource-policy", "resource-policy"; o.AttestationPolicy != "" {
		r.Action, r.Target = "set-attestation-policy", o.PolicyID
	}
	if err != nil {
		return KBSFailure(err, "setting the "+strings.TrimPrefix(r.Action, "set-"))
	}
	return o.printer.Print(o.a.g.Streams.Out, r)
}

// PolicyGetOptions lists the ids of the policies the KBS holds: all Trustee v0.21's admin API
// can show (GET /resource-policy answers list_policies(); the text cannot be read back).
type PolicyGetOptions struct {
	a   *KBSAccess
	out output.Flags

	printer *output.Printer[PolicyList]
}

// PolicyList is the schema of "trustee policy get -o json|yaml".
type PolicyList struct {
	APIVersion string   `json:"apiVersion"`
	Kind       string   `json:"kind"`
	KBS        string   `json:"kbs"`
	PolicyIDs  []string `json:"policyIDs"`
	Note       string   `json:"note"`
}

func newTrusteePolicyGetCommand(a *KBSAccess) *cobra.Command {
	o := &PolicyGetOptions{a: a, out: output.Flags{Allowed: []output.Format{output.Human, output.JSON, output.YAML}}}
	cmd := &cobra.Command{
		Use:   "get",
		Short: "List the policy ids the KBS holds (Trustee v0.21 cannot show a policy's text)",
		Long: `Lists the ids of the policies the KBS's policy engine holds. The list always holds
"resource-policy": the KBS loads a default at start. Trustee v0.21's admin API cannot show the
text of the policy in force: set the one you want with "kubectl coco trustee policy set" (it
replaces whatever is there), and test it by its effect with "kubectl coco attest check".`,
		Args: cli.NoArgs,
		RunE: cli.RunE(o),
	}
	o.out.AddFlags(cmd)
	return cmd
}

// Complete prepares the client.
func (o *PolicyGetOptions) Complete([]string) error {
	var err error
	if o.printer, err = output.ToPrinter(&o.out, o.printHuman); err != nil {
		return err
	}
	return o.a.Connect()
}

// Validate has nothing more to check.
func (o *PolicyGetOptions) Validate() error { return nil }

// Run reads and prints the policy ids.
func (o *PolicyGetOptions) Run(ctx context.Context) error {
	ids, err := o.a.client.ResourcePolicyIDs(ctx)
	if err != nil {
		return KBSFailure(err, "reading the resource policies")
	}
	r := PolicyList{APIVersion: "coco.osc-coco.io/v1alpha1", Kind: "PolicyList", KBS: o.a.URL, PolicyIDs: ids,
		Note: "Trustee v0.21's admin API lists policy ids only; the text in force cannot be read back"}
	return o.printer.Print(o.a.g.Streams.Out, r)
}

func (o *PolicyGetOptions) printHuman(w io.Writer, r PolicyList) error {
	_, err := fmt.Fprintf(w, "%s\n(%s)\n", strings.Join(r.PolicyIDs, "\n"), r.Note)
	return err
}

// ReferenceValueOptions registers a sample reference value.
type ReferenceValueOptions struct {
	a       *KBSAccess
	out     output.Flags
	DryRun  cli.DryRun
	Numbers bool

	printer *output.Printer[TrusteeResult]
	key     string
	values  []any
}

func newTrusteeReferenceValueCommand(a *KBSAccess) *cobra.Command {
	cmd := &cobra.Command{Use: "reference-value", Short: "Reference values the attestation policies compare evidence with"}
	cmd.AddCommand(newTrusteeReferenceValueSetCommand(a))
	return cmd
}

func newTrusteeReferenceValueSetCommand(a *KBSAccess) *cobra.Command {
	o := &ReferenceValueOptions{a: a, out: output.Flags{Allowed: []output.Format{output.Human, output.JSON, output.YAML}}}
	cmd := &cobra.Command{
		Use:   "set KEY=VALUE[,VALUE...]",
		Short: "Register a reference value (e.g. an initdata digest) through the RVPS's sample extractor",
		Long: `Registers reference values for KEY through the RVPS's sample extractor, as kbs-client's
set-sample-reference-value does: what attestation policies compare with query_reference_value(KEY).
Trustee recommends the RVPS tool for production provenance; the sample extractor must be enabled.`,
		Example: `  kubectl coco trustee reference-value set snp_launch_measurement=3a9f... --kbs-url http://127.0.0.1:8080`,
		Args:    cli.ExactArgs(1, "KEY=VALUE"),
		RunE:    cli.RunE(o),
	}
	o.out.AddFlags(cmd)
	cli.AddDryRunFlag(cmd.Flags(), &o.DryRun, "say what would be registered; send nothing")
	cmd.Flags().BoolVar(&o.Numbers, "numbers", false, "send the values as JSON numbers (SNP's reported_tcb_* claims are numbers; a string never equals them)")
	return cmd
}

// Complete reads KEY=VALUE and -o, and prepares the client.
func (o *ReferenceValueOptions) Complete(args []string) error {
	var err error
	if o.printer, err = output.ToPrinter(&o.out, printTrusteeResult); err != nil {
		return err
	}
	k, v, ok := strings.Cut(args[0], "=")
	if !ok || strings.TrimSpace(k) == "" || v == "" {
		return clierr.Usagef("e.g. snp_launch_measurement=3a9f...", "%q is not KEY=VALUE", args[0])
	}
	o.key = k
	for _, s := range strings.Split(v, ",") {
		if !o.Numbers {
			o.values = append(o.values, s)
			continue
		}
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return clierr.Usagef("give decimal integers with --numbers", "--numbers: %q is not an integer", s)
		}
		o.values = append(o.values, n)
	}
	return o.a.Connect()
}

// Validate has nothing more to check.
func (o *ReferenceValueOptions) Validate() error { return o.DryRun.ClientOnly() }

// Run registers the values.
func (o *ReferenceValueOptions) Run(ctx context.Context) error {
	r := TrusteeResult{APIVersion: "coco.osc-coco.io/v1alpha1", Kind: "TrusteeResult", KBS: o.a.URL, Action: "set-reference-value", Target: o.key, Result: "done"}
	if o.DryRun.On() {
		r.Result = "would-do"
	} else if err := o.a.client.SetReferenceValues(ctx, o.key, o.values); err != nil {
		return KBSFailure(err, "registering reference value "+o.key)
	}
	return o.printer.Print(o.a.g.Streams.Out, r)
}
