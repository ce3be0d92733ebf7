package gardencmd

import (
	shootcmd "github.com/osc-coco/kubectl-plugins/plugins/shoot/cmd"

	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	gardencorev1beta1 "github.com/gardener/gardener/pkg/apis/core/v1beta1"
	"github.com/spf13/cobra"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/osc-coco/kubectl-plugins/lib/access"
	"github.com/osc-coco/kubectl-plugins/lib/cli"
	"github.com/osc-coco/kubectl-plugins/lib/clierr"
	"github.com/osc-coco/kubectl-plugins/lib/garden"
	"github.com/osc-coco/kubectl-plugins/lib/output"
	"github.com/osc-coco/kubectl-plugins/plugins/shoot/shootspec"
)

// CreateOptions creates an OpenStack shoot.
type CreateOptions struct {
	a                    *gardenAccess
	out                  output.Flags
	printer              *output.Printer[shootReport]
	Name                 string
	MachineType          string
	Workers              string
	KubernetesVersion    string
	Region               string
	Zones                []string
	CredentialsBinding   string
	CloudProfile         string
	From                 string
	FloatingPool         string
	LoadBalancerProvider string
	NetworkingType       string
	NodesCIDR            string
	Image                string
	Purpose              string
	For                  string
	TEE                  string
	DryRun               cli.DryRun
	Wait                 bool
	Timeout              time.Duration
	min, max             int32
}

func newCreateCommand(a *gardenAccess) *cobra.Command {
	o := &CreateOptions{a: a, out: output.Flags{Allowed: []output.Format{output.Human, output.JSON, output.YAML}}, Workers: "1:2", Timeout: 30 * time.Minute}
	cmd := &cobra.Command{
		Use:   "create NAME --machine-type TYPE",
		Short: shootcmd.CreateShort,
		Long: `Builds the Shoot the Gardener dashboard would: the cloud profile reference, the project's
OpenStack credentials binding, an OpenStack InfrastructureConfig (floating pool, worker network) and
ControlPlaneConfig (load balancer provider), calico networking and one worker pool. Defaults come
from the cloud profile (highest supported Kubernetes version, current machine image, first zone
that offers the machine type); --from copies the infrastructure settings of an existing shoot.
Machine type, zone and Kubernetes version are checked before any change, with suggestions.`,
		Example: `  # the guide's eco-tst cluster
  kubectl shoot create eco-tst --machine-type vm-dedicated-4-16 --wait

  # same network and credentials as eco-sbx, three to five workers; print it first
  kubectl shoot create eco-tst --from eco-sbx --machine-type vm-dedicated-8-16 --workers 3:5 --dry-run -o yaml`,
		Args: cli.ExactArgs(1, "the shoot name"),
		RunE: cli.RunE(withGarden(a, o)),
	}
	o.out.AddFlags(cmd)
	f := cmd.Flags()
	f.StringVar(&o.MachineType, "machine-type", "", "machine type of the workers (kubectl shoot machine-types lists them)")
	f.StringVar(&o.Workers, "workers", o.Workers, "MIN:MAX number of worker nodes (autoscaled)")
	f.StringVar(&o.KubernetesVersion, "kubernetes-version", "", "Kubernetes version, or MAJOR.MINOR for its newest supported patch (default: newest supported)")
	f.StringVar(&o.Region, "region", "", "region (default: from --from, or the profile's only region)")
	f.StringSliceVar(&o.Zones, "zones", nil, "zones of the worker pool (default: the first zone that offers the machine type)")
	f.StringVar(&o.CredentialsBinding, "credentials-binding", "", "CredentialsBinding with the OpenStack credentials (default: the project's only one)")
	f.StringVar(&o.CloudProfile, "cloud-profile", "", "CloudProfile or NamespacedCloudProfile (default: the one the project's shoots use)")
	f.StringVar(&o.From, "from", "", "copy region, zones, credentials, networking and provider settings of this existing shoot")
	f.StringVar(&o.FloatingPool, "floating-pool", "", "OpenStack floating pool (default: from --from or the cloud profile)")
	f.StringVar(&o.LoadBalancerProvider, "load-balancer-provider", "", "OpenStack load balancer provider (default: from --from or the cloud profile)")
	f.StringVar(&o.NetworkingType, "networking-type", "", "network plugin (default: calico)")
	f.StringVar(&o.NodesCIDR, "nodes-cidr", "", "node network CIDR (default: 10.250.0.0/16)")
	f.StringVar(&o.Image, "image", "", "machine image NAME or NAME:VERSION (default: the profile's current one)")
	f.StringVar(&o.Purpose, "purpose", "", "evaluation, testing, development, production or infrastructure")
	f.StringVar(&o.For, "for", "", `"coco": a pool fit for Confidential Containers (>= 4 CPUs and 8 GiB, Kubernetes >= 1.24, containerd, nodes labelled node.kubernetes.io/worker)`)
	f.StringVar(&o.TEE, "tee", "", "refused: CoCo has no SGX runtime class since v0.18")
	_ = f.MarkHidden("tee")
	cli.AddDryRunFlag(f, &o.DryRun, `"client" prints the Shoot without sending it; "server" has the Gardener API validate it without creating it`)
	f.Lookup("dry-run").NoOptDefVal = "client"
	f.BoolVar(&o.Wait, "wait", false, "wait until the shoot is created (follows status.lastOperation)")
	f.DurationVar(&o.Timeout, "timeout", o.Timeout, "how long --wait waits")
	_ = cmd.RegisterFlagCompletionFunc("machine-type", completeMachineTypes(a))
	_ = cmd.RegisterFlagCompletionFunc("from", completeShoots(a))
	return cmd
}

// Complete reads the name, --workers and -o.
func (o *CreateOptions) Complete(args []string) error {
	o.Name = args[0]
	var err error
	if o.printer, err = output.ToPrinter(&o.out, printShootReport); err != nil {
		return err
	}
	lo, hi, ok := strings.Cut(o.Workers, ":")
	if !ok {
		hi = lo
	}
	mn, err1 := strconv.ParseInt(lo, 10, 32)
	mx, err2 := strconv.ParseInt(hi, 10, 32)
	if err1 != nil || err2 != nil {
		return clierr.Usagef("e.g. --workers 1:3", "--workers %q is not MIN:MAX", o.Workers)
	}
	o.min, o.max = int32(mn), int32(mx)
	return nil
}

// Validate checks what can be checked without the API.
func (o *CreateOptions) Validate() error {
	if err := shootspec.ValidateName(o.Name, ""); err != nil {
		return clierr.Usagef("use lower-case letters, digits and '-'", "%v", err)
	}
	if o.MachineType == "" {
		return clierr.Usagef("pass --machine-type (kubectl shoot machine-types lists them)", "--machine-type is required")
	}
	if o.min < 1 || o.max < o.min {
		return clierr.Usagef("e.g. --workers 1:3", "--workers %s: need 1 <= MIN <= MAX", o.Workers)
	}
	if o.For != "" && o.For != "coco" {
		return clierr.Usagef("use --for coco", "unknown --for %q", o.For)
	}
	if o.TEE != "" {
		return clierr.Usagef("drop --tee; kubectl shoot machine-types lists the machine types", "--tee %s: %s", o.TEE, shootspec.SGXDropped)
	}
	if w := shootspec.CocoWarning(o.MachineType); w != "" && o.For == "coco" {
		o.a.g.Warn(w)
	}
	if err := cli.CheckTimeout(o.Timeout, "30m"); err != nil {
		return err
	}
	return nil
}

// Run builds, checks and creates the shoot.
func (o *CreateOptions) Run(ctx context.Context) error {
	gd, p, err := o.a.connectProject(ctx)
	if err != nil {
		return err
	}
	if existing, err := gd.Core.CoreV1beta1().Shoots(p.Namespace).Get(ctx, o.Name, metav1.GetOptions{}); err == nil {
		return o.exists(ctx, gd, p, existing)
	}
	shoot, err := o.buildShoot(ctx, gd, p)
	if err != nil {
		return err
	}
	if o.DryRun == cli.DryRunClient {
		return o.printer.Print(o.a.g.Streams.Out, shootReport{object: manifest(shoot)})
	}
	created, err := o.submit(ctx, gd, p, shoot)
	if err != nil {
		return err
	}
	return o.report(ctx, gd, p, shoot, created)
}

// buildShoot reads what the Shoot is built from (--from, the cloud profile, the project's
// credentials) and builds it; shootspec's warnings go to stderr.
func (o *CreateOptions) buildShoot(ctx context.Context, gd *garden.Conn, p garden.Project) (*gardencorev1beta1.Shoot, error) {
	var from *gardencorev1beta1.Shoot
	var err error
	if o.From != "" {
		if from, err = gd.Shoot(ctx, p, o.From); err != nil {
			return nil, clierr.Wrap(err, "reading --from")
		}
	}
	profName := o.CloudProfile
	if profName == "" && from != nil && from.Spec.CloudProfile != nil {
		profName = strings.ToLower(from.Spec.CloudProfile.Kind) + "/" + from.Spec.CloudProfile.Name
	}
	prof, err := resolveProfile(ctx, gd, p, profName)
	if err != nil {
		return nil, err
	}
	bindings, err := o.credentialsBindings(ctx, gd, p, from)
	if err != nil {
		return nil, err
	}
	shoot, warnings, err := shootspec.Build(shootspec.Request{
		Name: o.Name, Project: p.Name, Namespace: p.Namespace, MachineType: o.MachineType, Min: o.min, Max: o.max,
		KubernetesVersion: o.KubernetesVersion, Region: o.Region, Zones: o.Zones, CredentialsBinding: o.CredentialsBinding,
		CredentialsBindings: bindings, FloatingPool: o.FloatingPool, LoadBalancerProvider: o.LoadBalancerProvider,
		NetworkingType: o.NetworkingType, NodesCIDR: o.NodesCIDR, Image: o.Image, Purpose: o.Purpose, From: from,
		Profile: prof, Now: time.Now(), ForCoco: o.For == "coco", TEE: o.TEE,
	})
	if err != nil {
		var ie *shootspec.InputError
		if errors.As(err, &ie) {
			return nil, clierr.Usagef(ie.Fix(), "%v", err)
		}
		return nil, err
	}
	for _, w := range warnings {
		fmt.Fprintf(o.a.g.Streams.ErrOut, "Warning: %s\n", w)
	}
	return shoot, nil
}

// credentialsBindings are the project's OpenStack CredentialsBindings; nil when they may not be
// listed but the flags or --from name one.
func (o *CreateOptions) credentialsBindings(ctx context.Context, gd *garden.Conn, p garden.Project, from *gardencorev1beta1.Shoot) ([]string, error) {
	list, err := gd.Security.SecurityV1alpha1().CredentialsBindings(p.Namespace).List(ctx, metav1.ListOptions{})
	if err != nil {
		if o.CredentialsBinding == "" && from == nil {
			return nil, clierr.Wrap(clierr.FromAPI(err, clierr.Action{Verb: "list", Resource: "credentialsbindings.security.gardener.cloud", Namespace: p.Namespace}),
				"finding the OpenStack credentials (or pass --credentials-binding)")
		}
		return nil, nil
	}
	bindings := []string{}
	for _, b := range list.Items {
		if b.Provider.Type == shootspec.ProviderType {
			bindings = append(bindings, b.Name)
		}
	}
	return bindings, nil
}

// submit creates the Shoot (a server dry run with --dry-run=server) after checking the right
// to; the Gardener API's refusals are explained.
func (o *CreateOptions) submit(ctx context.Context, gd *garden.Conn, p garden.Project, shoot *gardencorev1beta1.Shoot) (*gardencorev1beta1.Shoot, error) {
	if err := access.Check(ctx, gd.Kube, access.Request{Verb: "create", Group: "core.gardener.cloud", Resource: "shoots", Namespace: p.Namespace}); err != nil {
		return nil, clierr.Wrap(err, "creating a shoot in project %s", p.Name)
	}
	opts := metav1.CreateOptions{FieldManager: "kubectl-shoot"}
	if o.DryRun == "server" {
		opts.DryRun = []string{metav1.DryRunAll}
	}
	created, err := gd.Core.CoreV1beta1().Shoots(p.Namespace).Create(ctx, shoot, opts)
	switch {
	case apierrors.IsAlreadyExists(err):
		return nil, clierr.Failf("kubectl shoot status "+o.Name, "shoot %s was created by someone else meanwhile", o.Name)
	case apierrors.IsInvalid(err) || apierrors.IsBadRequest(err):
		return nil, clierr.Failf("fix the flag the message names; kubectl shoot create --dry-run -o yaml shows what is sent", "the Gardener API rejected shoot %s: %v", o.Name, err)
	case err != nil:
		return nil, clierr.FromAPI(err, clierr.Action{Verb: "create", Resource: "shoots.core.gardener.cloud", Namespace: p.Namespace, Name: o.Name})
	}
	created.TypeMeta = shoot.TypeMeta // typed clients drop it; -o json|yaml should say what it is
	return created, nil
}

// report says what was created (or would be), waiting for the shoot with --wait; -o prints the
// Shoot as the API returned it.
func (o *CreateOptions) report(ctx context.Context, gd *garden.Conn, p garden.Project, shoot, created *gardencorev1beta1.Shoot) error {
	r := shootReport{object: created}
	if o.DryRun == cli.DryRunServer {
		r.lines = append(r.lines, fmt.Sprintf("shoot %s in project %s would be created (server dry run: the Gardener API accepted it)", o.Name, p.Name))
		return o.printer.Print(o.a.g.Streams.Out, r)
	}
	r.lines = append(r.lines, fmt.Sprintf("shoot %s created in project %s (%s, %d-%d x %s, Kubernetes %s)", o.Name, p.Name, shoot.Spec.Region,
		o.min, o.max, o.MachineType, shoot.Spec.Kubernetes.Version))
	if !o.Wait {
		r.lines = append(r.lines, fmt.Sprintf("Gardener is creating it (this takes several minutes): kubectl shoot wait %s", o.Name))
		return o.printer.Print(o.a.g.Streams.Out, r)
	}
	r.lines = o.sayNow(r.lines) // the wait takes minutes: say now that the shoot exists
	ready, err := waitShoot(ctx, gd, p, o.Name, forReconciled, o.Timeout, o.a.g.ProgressFor(o.printer.Format()), o.a.g.Streams.ErrOut)
	if err != nil {
		return err
	}
	ready.TypeMeta = shoot.TypeMeta
	r.object = ready
	r.lines = append(r.lines, fmt.Sprintf("shoot %s is ready: kubectl shoot use %s", o.Name, o.Name))
	return o.printer.Print(o.a.g.Streams.Out, r)
}

// exists handles a second run: nothing is changed; --wait still waits.
func (o *CreateOptions) exists(ctx context.Context, gd *garden.Conn, p garden.Project, s *gardencorev1beta1.Shoot) error {
	if s.DeletionTimestamp != nil {
		return clierr.Failf("wait for the deletion (kubectl shoot wait "+o.Name+" --for deleted), then create it again",
			"shoot %s exists and is being deleted", o.Name)
	}
	if len(s.Spec.Provider.Workers) > 0 && s.Spec.Provider.Workers[0].Machine.Type != o.MachineType {
		o.a.g.Warn(fmt.Sprintf("shoot %s already exists with machine type %s (not %s); nothing was changed",
			o.Name, s.Spec.Provider.Workers[0].Machine.Type, o.MachineType))
	}
	s.TypeMeta = metav1.TypeMeta{APIVersion: gardencorev1beta1.SchemeGroupVersion.String(), Kind: "Shoot"}
	r := shootReport{object: s}
	if o.DryRun.On() {
		r.lines = append(r.lines, fmt.Sprintf("shoot %s already exists in project %s: nothing would be created", o.Name, p.Name))
		return o.printer.Print(o.a.g.Streams.Out, r)
	}
	r.lines = append(r.lines, fmt.Sprintf("shoot %s already exists in project %s: unchanged", o.Name, p.Name))
	if o.Wait {
		r.lines = o.sayNow(r.lines)
		var err error
		if s, err = waitShoot(ctx, gd, p, o.Name, forReconciled, o.Timeout, o.a.g.ProgressFor(o.printer.Format()), o.a.g.Streams.ErrOut); err != nil {
			return err
		}
		s.TypeMeta = metav1.TypeMeta{APIVersion: gardencorev1beta1.SchemeGroupVersion.String(), Kind: "Shoot"}
		r.object = s
		r.lines = append(r.lines, fmt.Sprintf("shoot %s is ready: kubectl shoot use %s", o.Name, o.Name))
	}
	return o.printer.Print(o.a.g.Streams.Out, r)
}

// sayNow prints what happened so far before a long wait: on stdout for people (then it is not
// printed again), as a note on stderr for scripts (whose stdout is the Shoot at the end).
func (o *CreateOptions) sayNow(lines []string) []string {
	if o.printer.Structured() {
		for _, l := range lines {
			o.a.g.Note(l)
		}
		return lines
	}
	fmt.Fprintln(o.a.g.Streams.Out, strings.Join(lines, "\n"))
	return nil
}

// shootReport is what create prints: the Shoot (as sent, or as the API returned it) for -o, and
// for people what happened, or the Shoot as YAML when nothing happened (a client dry run).
type shootReport struct {
	object any
	lines  []string
}

// MarshalJSON is the Shoot.
func (r shootReport) MarshalJSON() ([]byte, error) { return json.Marshal(r.object) }

func printShootReport(w io.Writer, r shootReport) error {
	if len(r.lines) == 0 {
		return output.Print(w, output.YAML, r.object)
	}
	_, err := fmt.Fprintln(w, strings.Join(r.lines, "\n"))
	return err
}

func completeMachineTypes(a *gardenAccess) func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
	return func(cmd *cobra.Command, _ []string, prefix string) ([]string, cobra.ShellCompDirective) {
		gd, err := a.connect()
		if err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		ctx, cancel := context.WithTimeout(cmd.Context(), 5*time.Second)
		defer cancel()
		p, err := gd.Project(ctx, a.flags.Project)
		if err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		name, _ := cmd.Flags().GetString("cloud-profile")
		prof, err := resolveProfile(ctx, gd, p, name)
		if err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		var out []string
		for _, mt := range prof.Spec.MachineTypes {
			if (mt.Usable == nil || *mt.Usable) && strings.HasPrefix(mt.Name, prefix) {
				out = append(out, mt.Name)
			}
		}
		return out, cobra.ShellCompDirectiveNoFileComp
	}
}

// manifest is the Shoot as a user would write it: no empty status, no creation timestamp.
func manifest(s *gardencorev1beta1.Shoot) map[string]any {
	m, err := runtime.DefaultUnstructuredConverter.ToUnstructured(s)
	if err != nil {
		return map[string]any{"error": err.Error()}
	}
	delete(m, "status")
	if md, ok := m["metadata"].(map[string]any); ok {
		delete(md, "creationTimestamp")
	}
	return m
}
