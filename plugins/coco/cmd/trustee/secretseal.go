package trustee

import (
	"context"
	"fmt"
	"io"

	"github.com/spf13/cobra"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation"
	applycorev1 "k8s.io/client-go/applyconfigurations/core/v1"

	"github.com/osc-coco/kubectl-plugins/lib/access"
	"github.com/osc-coco/kubectl-plugins/lib/cli"
	"github.com/osc-coco/kubectl-plugins/lib/clierr"
	"github.com/osc-coco/kubectl-plugins/lib/kube"
	"github.com/osc-coco/kubectl-plugins/lib/names"
	"github.com/osc-coco/kubectl-plugins/lib/output"
	"github.com/osc-coco/kubectl-plugins/plugins/coco/cmd/cmdutil"
	"github.com/osc-coco/kubectl-plugins/plugins/coco/sealed"
)

// DefaultSigningKid is the KBS resource the guest fetches the verification key from.
const DefaultSigningKid = "kbs:///default/sealing-key/public"

// SealOptions makes a Kubernetes Secret whose value is a sealed secret.
type SealOptions struct {
	g          *cli.Globals
	out        output.Flags
	Name       string
	Resource   string
	Key        string
	SigningKey string
	SigningKid string
	DryRun     cli.DryRun

	printer       *output.Printer[SealResult]
	secretPrinter *output.Printer[*applycorev1.SecretApplyConfiguration] // --dry-run=client
	applied       *corev1.Secret                                         // what the server returned (--dry-run=server -o json|yaml prints it)
	clients       *kube.Clients
	keyPath       string
}

func NewSecretCommand(g *cli.Globals) *cobra.Command {
	cmd := &cobra.Command{Use: "secret", Short: "Sealed secrets: Kubernetes Secrets only an attested guest can open"}
	cmd.AddCommand(newSealCommand(g))
	return cmd
}

func newSealCommand(g *cli.Globals) *cobra.Command {
	o := &SealOptions{g: g, Key: "secret", SigningKid: DefaultSigningKid, DryRun: cli.DryRunNone,
		out: output.Flags{Allowed: []output.Format{output.Human, output.JSON, output.YAML}, Named: true}}
	cmd := &cobra.Command{
		Use:   "seal NAME --resource kbs:///REPO/TYPE/TAG",
		Short: "Create a Secret holding a sealed secret that points at a KBS resource",
		Long: `Creates (or updates) the Secret NAME whose key (default "secret") holds a sealed secret: a signed
pointer to the KBS resource --resource. The control plane and the nodes see only the pointer; in
the guest, the Confidential Data Hub checks the signature with the public key it fetches from
the KBS at --signing-kid, then fetches the resource after attestation. Use it as an environment
variable (valueFrom.secretKeyRef) of a pod in a CoCo runtime class.

The signing key is --signing-key (an EC P-256 private JWK), else kubectl coco's own, made on
first use under your config directory (mode 0600) with its public half beside it. Put that
public half into the KBS at --signing-kid, and the secret's value at --resource.`,
		Example: `  kubectl coco secret seal db-password --resource kbs:///default/db/password
  kubectl coco secret seal db-password --resource kbs:///default/db/password --dry-run -o yaml`,
		Args: cli.ExactArgs(1, "the Secret's name"),
		RunE: cli.RunE(o),
	}
	o.out.AddFlags(cmd)
	f := cmd.Flags()
	f.StringVar(&o.Resource, "resource", "", "the KBS resource holding the secret's value (kbs:///REPO/TYPE/TAG)")
	f.StringVar(&o.Key, "key", o.Key, "the Secret's data key")
	f.StringVar(&o.SigningKey, "signing-key", "", "EC P-256 private key (JWK) to sign with (default: kubectl coco's own)")
	f.StringVar(&o.SigningKid, "signing-kid", o.SigningKid, "the KBS resource holding the signing key's public half")
	cli.AddDryRunFlag(f, &o.DryRun, `"client" prints the Secret without sending it, "server" lets the server check it without saving it`)
	return cmd
}

// Complete reads the name, -o, the key's path and connects unless the run stays on the client.
func (o *SealOptions) Complete(args []string) error {
	o.Name = args[0]
	var err error
	if o.printer, err = output.ToPrinter(&o.out, o.printHuman); err != nil {
		return err
	}
	if o.secretPrinter, err = output.ToPrinter(&o.out, printSecretYAML); err != nil {
		return err
	}
	if o.keyPath = o.SigningKey; o.keyPath == "" {
		if o.keyPath, err = defaultSealingKeyPath(); err != nil {
			return err
		}
	}
	if o.DryRun == cli.DryRunClient {
		return nil
	}
	return o.g.ClientsInto(&o.clients)
}

// Validate checks the names and URIs without I/O.
func (o *SealOptions) Validate() error {
	if errs := validation.IsDNS1123Subdomain(o.Name); len(errs) > 0 {
		return clierr.Usagef("Secret names are DNS subdomains, e.g. db-password", "invalid Secret name %q: %s", o.Name, errs[0])
	}
	if errs := validation.IsConfigMapKey(o.Key); len(errs) > 0 {
		return clierr.Usagef("e.g. --key secret", "invalid --key %q: %s", o.Key, errs[0])
	}
	if o.Resource == "" {
		return clierr.Usagef("e.g. --resource kbs:///default/db/password", "--resource is required")
	}
	if err := sealed.CheckResourceURI(o.Resource); err != nil {
		return clierr.Usagef("e.g. --resource kbs:///default/db/password", "--resource: %v", err)
	}
	if err := sealed.CheckResourceURI(o.SigningKid); err != nil {
		return clierr.Usagef("e.g. --signing-kid "+DefaultSigningKid, "--signing-kid: %v", err)
	}
	return nil
}

// SealResult is the outcome for -o json|yaml (the Secret itself with --dry-run=client).
type SealResult struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Secret     string `json:"secret"`
	Namespace  string `json:"namespace"`
	Resource   string `json:"resource"`
	SigningKid string `json:"signingKid"`
	// PublicKey is the file with the signing key's public half (to put into the KBS).
	PublicKey string `json:"publicKey"`
	Result    string `json:"result"` // created, updated, unchanged, would-create
}

// ObjectNames names the Secret for -o name.
func (r SealResult) ObjectNames() []string { return []string{"secret/" + r.Secret} }

// Run signs the pointer and applies the Secret; a Secret that already holds the same pointer
// signed by this key is left as it is (a new signature would differ every time). The cluster
// is checked before a new signing key is written.
func (o *SealOptions) Run(ctx context.Context) error {
	ns, err := o.namespace()
	if err != nil {
		return err
	}
	key, err := loadSealingKey(o.keyPath, o.SigningKey == "")
	if err != nil {
		return err
	}
	r := SealResult{APIVersion: "coco.osc-coco.io/v1alpha1", Kind: "SealResult", Secret: o.Name, Namespace: ns,
		Resource: o.Resource, SigningKid: o.SigningKid, PublicKey: key.pubPath}
	if o.DryRun == cli.DryRunClient {
		return o.printSecret(ns, key)
	}
	if err := names.Namespace(ctx, o.clients.Kube, ns); err != nil {
		return err
	}
	state, err := o.existing(ctx, ns, key)
	if err != nil {
		return err
	}
	if state == stateUnchanged {
		r.Result = "unchanged"
		return o.report(r, key)
	}
	if err := access.Check(ctx, o.clients.Kube, access.Request{Verb: "create", Resource: "secrets", Namespace: ns},
		access.Request{Verb: "patch", Resource: "secrets", Namespace: ns}); err != nil {
		return clierr.Wrap(err, "sealing into Secret %s/%s", ns, o.Name)
	}
	if key.created && o.DryRun == cli.DryRunNone {
		if err := key.write(o.SigningKid); err != nil {
			return err
		}
	}
	if err := o.apply(ctx, ns, key); err != nil {
		return err
	}
	r.Result = map[string]string{stateAbsent: "created", stateOurs: "updated"}[state]
	if o.DryRun == cli.DryRunServer {
		r.Result = "would-be-" + r.Result
		if f := o.printer.Format(); (f == output.JSON || f == output.YAML) && o.applied != nil {
			// The same kind as the client dry run prints: the Secret, as the server would save it.
			o.applied.APIVersion, o.applied.Kind = "v1", "Secret"
			return output.Print(o.g.Streams.Out, f, o.applied)
		}
	}
	return o.report(r, key)
}

func (o *SealOptions) namespace() (string, error) {
	if o.clients != nil {
		return o.clients.Namespace, nil
	}
	ns, _, err := o.g.ConfigFlags.ToRawKubeConfigLoader().Namespace()
	if err != nil {
		return "", clierr.Usagef("check --kubeconfig and -n", "%v", err)
	}
	return ns, nil
}

// What the Secret on the server is to this run.
const (
	stateAbsent    = "absent"
	stateOurs      = "ours"      // made by kubectl coco, with another pointer or key: updated
	stateUnchanged = "unchanged" // the same pointer, signed by this key
)

// existing reads the Secret; one kubectl coco did not make is refused, not overwritten.
func (o *SealOptions) existing(ctx context.Context, ns string, key *sealingKey) (string, error) {
	cur, err := o.clients.Kube.CoreV1().Secrets(ns).Get(ctx, o.Name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return stateAbsent, nil
	}
	if err != nil {
		return "", clierr.FromAPI(err, clierr.Action{Verb: "get", Resource: "secrets", Namespace: ns, Name: o.Name})
	}
	if cur.Labels[cmdutil.ManagedByLabel] != cmdutil.ManagedBy {
		return "", clierr.Failf("choose another name, or delete it first: kubectl delete secret -n "+ns+" "+o.Name,
			"Secret %s/%s exists and was not made by kubectl coco secret seal; it is left as it is", ns, o.Name)
	}
	p, err := sealed.Parse(string(cur.Data[o.Key]))
	if err == nil && p.Secret.Name == o.Resource && p.Header.Kid == o.SigningKid && p.Verify(&key.key.PublicKey) == nil {
		return stateUnchanged, nil
	}
	return stateOurs, nil
}

// secretFor is the Secret with a freshly signed pointer.
func (o *SealOptions) secretFor(ns string, key *sealingKey) (*applycorev1.SecretApplyConfiguration, error) {
	secret, err := sealed.Vault(o.Resource)
	if err != nil {
		return nil, err
	}
	value, err := sealed.Seal(secret, key.key, o.SigningKid)
	if err != nil {
		return nil, err
	}
	return applycorev1.Secret(o.Name, ns).WithLabels(map[string]string{cmdutil.ManagedByLabel: cmdutil.ManagedBy}).
		WithType(corev1.SecretTypeOpaque).WithData(map[string][]byte{o.Key: []byte(value)}), nil
}

// apply sends the Secret with server-side apply (a server dry run with --dry-run=server).
func (o *SealOptions) apply(ctx context.Context, ns string, key *sealingKey) error {
	sec, err := o.secretFor(ns, key)
	if err != nil {
		return err
	}
	opts := metav1.ApplyOptions{FieldManager: cmdutil.ManagedBy, Force: true}
	if o.DryRun == cli.DryRunServer {
		opts.DryRun = []string{metav1.DryRunAll}
	}
	got, err := o.clients.Kube.CoreV1().Secrets(ns).Apply(ctx, sec, opts)
	if err != nil {
		return clierr.FromAPI(err, clierr.Action{Verb: "patch", Resource: "secrets", Namespace: ns, Name: o.Name})
	}
	o.applied = got
	return nil
}

// printSecret is --dry-run=client: the Secret as it would be sent (YAML unless -o json), signed
// by a throwaway key when the signing key does not exist yet.
func (o *SealOptions) printSecret(ns string, key *sealingKey) error {
	sec, err := o.secretFor(ns, key)
	if err != nil {
		return err
	}
	if key.created {
		o.g.Note("dry run: no signing key exists at " + key.path + " yet; this one is signed by a throwaway key")
	}
	sec.WithAPIVersion("v1").WithKind("Secret")
	return o.secretPrinter.Print(o.g.Streams.Out, sec)
}

// printSecretYAML: a Secret to be sent is shown to people as YAML, as kubectl's dry runs do.
func printSecretYAML(w io.Writer, sec *applycorev1.SecretApplyConfiguration) error {
	return output.Print(w, output.YAML, sec)
}

func (o *SealOptions) report(r SealResult, key *sealingKey) error {
	if key.created && o.DryRun == cli.DryRunNone {
		o.g.Note("created the signing key " + key.path + " (mode 0600; keep it: re-sealing needs it)")
	}
	return o.printer.Print(o.g.Streams.Out, r)
}

func (o *SealOptions) printHuman(w io.Writer, r SealResult) error {
	fmt.Fprintf(w, "secret/%s %s: key %q seals %s (signed for %s)\n", r.Secret, r.Result, o.Key, r.Resource, r.SigningKid)
	o.g.Note(fmt.Sprintf("the guest fetches the verification key from %s and the value from %s: put the public key %s and the value into the KBS there", r.SigningKid, r.Resource, r.PublicKey))
	return nil
}
