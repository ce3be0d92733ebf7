package gardencmd

import (
	shootcmd "github.com/osc-coco/kubectl-plugins/plugins/shoot/cmd"

	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	gardencorev1beta1 "github.com/gardener/gardener/pkg/apis/core/v1beta1"
	"github.com/spf13/cobra"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/osc-coco/kubectl-plugins/lib/access"
	"github.com/osc-coco/kubectl-plugins/lib/cli"
	"github.com/osc-coco/kubectl-plugins/lib/clierr"
	"github.com/osc-coco/kubectl-plugins/lib/garden"
	"github.com/osc-coco/kubectl-plugins/lib/output"
	"github.com/osc-coco/kubectl-plugins/lib/progress"
	"github.com/osc-coco/kubectl-plugins/lib/waitfor"
	"github.com/osc-coco/kubectl-plugins/plugins/shoot/lifecycle"
	"github.com/osc-coco/kubectl-plugins/plugins/shoot/shootstate"
)

// LifecycleOptions runs one lifecycle verb on a shoot.
type LifecycleOptions struct {
	a       *gardenAccess
	verb    lifecycle.Verb
	out     output.Flags
	Name    string
	DryRun  cli.DryRun
	Wait    bool
	Timeout time.Duration

	printer *output.Printer[LifecycleResult]
	// plan and done are the verb's decisions (plugins/shoot/lifecycle).
	plan func(*gardencorev1beta1.Shoot) (lifecycle.Change, error)
	done func(s *gardencorev1beta1.Shoot, generation int64) (shootstate.Outcome, string)
}

// LifecycleResult is the schema of the lifecycle verbs' -o json|yaml.
type LifecycleResult struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Shoot      string `json:"shoot"`
	Project    string `json:"project"`
	Verb       string `json:"verb"`
	// Result is done, unchanged (Reason says why), would-change (dry runs) or requested.
	Result    string `json:"result"`
	Change    string `json:"change,omitempty"`
	Reason    string `json:"reason,omitempty"`
	Schedules string `json:"hibernationSchedules,omitempty"`
}

// ObjectNames is the shoot's kubectl name on the garden (-o name).
func (r LifecycleResult) ObjectNames() []string {
	return []string{"shoot.core.gardener.cloud/" + r.Shoot}
}

// lifecycleHelp is each verb's one-line help, as kubectl-shoot lists it.
func lifecycleHelp(v lifecycle.Verb) string {
	for _, l := range shootcmd.LifecycleShort {
		if l.Verb == string(v) {
			return l.Short
		}
	}
	return ""
}

func newLifecycleCommands(a *gardenAccess) []*cobra.Command {
	var cmds []*cobra.Command
	for _, v := range lifecycle.Verbs {
		o := &LifecycleOptions{a: a, verb: v, DryRun: cli.DryRunNone, Timeout: 30 * time.Minute,
			out:  output.Flags{Allowed: []output.Format{output.Human, output.JSON, output.YAML}, Named: true},
			plan: func(s *gardencorev1beta1.Shoot) (lifecycle.Change, error) { return lifecycle.Plan(s, v) },
			done: func(s *gardencorev1beta1.Shoot, gen int64) (shootstate.Outcome, string) {
				return lifecycle.Done(s, v, gen)
			}}
		cmd := &cobra.Command{
			Use:   string(v) + " NAME",
			Short: lifecycleHelp(v),
			Long: lifecycleHelp(v) + `.

Checks that you may patch the shoot first; a shoot already in the asked-for state (or with the
operation already requested) is left unchanged and says so. --wait follows the shoot with a
watch until Gardener has carried it out (a progress bar on a terminal).`,
			Args:              cli.ExactArgs(1, "the shoot name"),
			ValidArgsFunction: completeShoots(a),
			RunE:              cli.RunE(withGarden(a, o)),
		}
		o.addFlags(cmd)
		cmds = append(cmds, cmd)
	}
	return cmds
}

func (o *LifecycleOptions) addFlags(cmd *cobra.Command) {
	o.out.AddFlags(cmd)
	f := cmd.Flags()
	cli.AddDryRunFlag(f, &o.DryRun, `"client" says what would change, "server" lets the Gardener API check it; nothing is saved`)
	f.BoolVar(&o.Wait, "wait", false, "wait until Gardener has carried it out")
	f.DurationVar(&o.Timeout, "timeout", o.Timeout, "how long --wait waits")
}

func newRotateCredentialsCommand(a *gardenAccess) *cobra.Command {
	o := &LifecycleOptions{a: a, verb: "rotate-credentials", DryRun: cli.DryRunNone, Timeout: 30 * time.Minute,
		out: output.Flags{Allowed: []output.Format{output.Human, output.JSON, output.YAML}, Named: true}}
	kind := "all"
	cmd := &cobra.Command{
		Use:   "rotate-credentials NAME start|complete [--kind all|ca|service-account-key|etcd-encryption-key|ssh-keypair|observability]",
		Short: shootcmd.RotateCredsShort,
		Long: `Sets Gardener's rotation operation (gardener.cloud/operation=rotate-<kind>-start or -complete, as
Gardener v1.150 names them). start prepares new credentials next to the old ones (phase
Prepared); complete removes the old ones, which Gardener allows only once the phase is Prepared:
update the kubeconfigs and clients in between. ssh-keypair and observability have one step.
Checks that you may patch the shoot first; --wait follows the rotation with a watch.`,
		Example: `  kubectl shoot rotate-credentials eco-sbx start --wait
  kubectl shoot kubeconfig eco-sbx   # new kubeconfigs now
  kubectl shoot rotate-credentials eco-sbx complete --wait`,
		Args: cli.ExactArgs(2, "the shoot name and start or complete"),
		RunE: cli.RunE(withGarden(a, &rotateOptions{LifecycleOptions: o, kind: &kind})),
	}
	o.addFlags(cmd)
	cmd.Flags().StringVar(&kind, "kind", kind, "what to rotate: "+strings.Join(lifecycle.RotationKinds, ", "))
	_ = cmd.RegisterFlagCompletionFunc("kind", cobra.FixedCompletions(lifecycle.RotationKinds, cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

// rotateOptions is a lifecycle run whose plan is a rotation step.
type rotateOptions struct {
	*LifecycleOptions
	kind *string
}

// Complete reads NAME, start|complete and --kind.
func (o *rotateOptions) Complete(args []string) error {
	if err := o.LifecycleOptions.Complete(args[:1]); err != nil {
		return err
	}
	complete := args[1] == "complete"
	if args[1] != "start" && !complete {
		return clierr.Usagef("kubectl shoot rotate-credentials NAME start, then complete", "unknown step %q", args[1])
	}
	if _, err := lifecycle.RotationOperation(*o.kind, complete); err != nil {
		return clierr.Usagef("use --kind "+strings.Join(lifecycle.RotationKinds, "|"), "%v", err)
	}
	kind := *o.kind
	o.verb = lifecycle.Verb("rotate-credentials " + args[1])
	o.plan = func(s *gardencorev1beta1.Shoot) (lifecycle.Change, error) {
		return lifecycle.PlanRotation(s, kind, complete)
	}
	o.done = func(s *gardencorev1beta1.Shoot, gen int64) (shootstate.Outcome, string) {
		return lifecycle.RotationDone(s, kind, complete, gen)
	}
	return nil
}

// Complete reads the name and -o.
func (o *LifecycleOptions) Complete(args []string) error {
	o.Name = args[0]
	if err := shootName(o.Name); err != nil {
		return err
	}
	var err error
	if o.printer, err = output.ToPrinter(&o.out, o.printHuman); err != nil {
		return err
	}
	return nil
}

// Validate checks --dry-run and --timeout.
func (o *LifecycleOptions) Validate() error {
	if err := cli.CheckTimeout(o.Timeout, "30m"); err != nil {
		return err
	}
	return nil
}

// Run plans the change, checks the right to make it, patches and (with --wait) follows it.
func (o *LifecycleOptions) Run(ctx context.Context) error {
	gd, p, s, err := o.a.connectShoot(ctx, o.Name)
	if err != nil {
		return err
	}
	r := LifecycleResult{APIVersion: "shoot.osc-coco.io/v1alpha1", Kind: "LifecycleResult", Shoot: o.Name, Project: p.Name, Verb: string(o.verb),
		Schedules: lifecycle.Schedules(s)}
	change, err := o.plan(s)
	var refused *lifecycle.Refused
	switch {
	case errors.As(err, &refused):
		return clierr.Failf(refused.Fix, "%s", refused.Reason)
	case err != nil:
		return err
	case change.Noop != "":
		r.Result, r.Reason = "unchanged", change.Noop
		// Already asked for, perhaps not there yet (still hibernating): --wait waits for it.
		if outcome, _ := o.done(s, s.Generation); o.Wait && o.DryRun == cli.DryRunNone && outcome != shootstate.Done {
			if err := o.wait(ctx, gd, p, s.Generation); err != nil {
				return err
			}
			r.Result = "done"
		}
		return o.printer.Print(o.a.g.Streams.Out, r)
	}
	r.Change = change.What
	if err := access.Check(ctx, gd.Kube, access.Request{Verb: "patch", Group: "core.gardener.cloud", Resource: "shoots", Namespace: p.Namespace}); err != nil {
		return clierr.Wrap(err, "%s shoot %s", o.verb, o.Name)
	}
	if o.DryRun == cli.DryRunClient {
		r.Result = "would-change"
		return o.printer.Print(o.a.g.Streams.Out, r)
	}
	patched, err := o.patch(ctx, gd, p, change.Patch)
	if err != nil {
		return err
	}
	if r.Result = "requested"; o.DryRun == cli.DryRunServer {
		r.Result = "would-change"
	} else if o.Wait {
		if err := o.wait(ctx, gd, p, patched.Generation); err != nil {
			return err
		}
		r.Result = "done"
	}
	return o.printer.Print(o.a.g.Streams.Out, r)
}

func (o *LifecycleOptions) patch(ctx context.Context, gd *garden.Conn, p garden.Project, patch []byte) (*gardencorev1beta1.Shoot, error) {
	opts := metav1.PatchOptions{FieldManager: "kubectl-shoot"}
	if o.DryRun == cli.DryRunServer {
		opts.DryRun = []string{metav1.DryRunAll}
	}
	s, err := gd.Core.CoreV1beta1().Shoots(p.Namespace).Patch(ctx, o.Name, types.MergePatchType, patch, opts)
	if err != nil {
		return nil, clierr.FromAPI(err, clierr.Action{Verb: "patch", Resource: "shoots.core.gardener.cloud", Namespace: p.Namespace, Name: o.Name})
	}
	return s, nil
}

// wait follows the shoot until lifecycle.Done says the verb's effect is there.
func (o *LifecycleOptions) wait(ctx context.Context, gd *garden.Conn, p garden.Project, generation int64) error {
	ctx, cancel := context.WithTimeout(ctx, o.Timeout)
	defer cancel()
	step := o.a.g.ProgressFor(o.printer.Format()).Start(fmt.Sprintf("waiting for Gardener to %s shoot %s", o.verb, o.Name))
	var msg string
	shoots := gd.Core.CoreV1beta1().Shoots(p.Namespace)
	ctx, stop := stopWhenUnattended(ctx, shoots, o.Name)
	defer stop()
	var last *gardencorev1beta1.Shoot
	err := waitfor.UntilAll(ctx, waitfor.OnClient(gd.Core, waitfor.Named(shoots, o.Name)), &gardencorev1beta1.Shoot{}, func(objs []any) (bool, error) {
		if len(objs) == 0 {
			return false, fmt.Errorf("shoot %s was deleted while waiting", o.Name)
		}
		s, ok := objs[0].(*gardencorev1beta1.Shoot)
		if !ok {
			return false, nil
		}
		last = s
		var outcome shootstate.Outcome
		outcome, msg = o.done(s, generation)
		step.Update(fmt.Sprintf("shoot %s %s %s", o.Name, progress.Bar(shootstate.Progress(s), 20), msg))
		switch outcome {
		case shootstate.Done:
			return true, nil
		case shootstate.Failed:
			return false, errors.New(msg)
		}
		return false, nil
	})
	switch {
	case err == nil:
		step.Done(msg)
		return nil
	case isUnattended(ctx):
		why, _ := unattendedCause(ctx)
		step.Fail("nobody works on it")
		return unattendedFailure(o.Name, "reconciled", why)
	case errors.Is(err, context.Canceled):
		step.Interrupted()
		return &clierr.Error{Code: clierr.CodeInterrupted, Msg: "interrupted while waiting for shoot " + o.Name, Fix: "Gardener carries on; follow it with: kubectl shoot wait " + o.Name}
	case errors.Is(err, waitfor.ErrTimeout):
		step.Fail("timed out")
		why, fix := timeoutFix(last, o.Name, "reconciled")
		return clierr.Failf(fix, "shoot %s: %s did not finish within %s (last state: %s)%s", o.Name, o.verb, o.Timeout, orText(msg, "unknown"), why)
	}
	step.Fail("failed")
	return clierr.Failf("kubectl shoot status "+o.Name+" shows the conditions and last errors", "shoot %s: %v", o.Name, err)
}

func (o *LifecycleOptions) printHuman(w io.Writer, r LifecycleResult) error {
	switch r.Result {
	case "unchanged":
		fmt.Fprintf(w, "shoot %s unchanged: %s\n", r.Shoot, r.Reason)
	case "would-change":
		fmt.Fprintf(w, "shoot %s would be changed: %s (dry run)\n", r.Shoot, r.Change)
	case "done":
		fmt.Fprintf(w, "shoot %s: %s done (%s)\n", r.Shoot, r.Verb, r.Change)
	default:
		fmt.Fprintf(w, "shoot %s: %s requested (%s); follow it: kubectl shoot wait %s\n", r.Shoot, r.Verb, r.Change, r.Shoot)
	}
	if r.Schedules != "" && (o.verb == lifecycle.Hibernate || o.verb == lifecycle.WakeUp) {
		fmt.Fprintf(w, "its hibernation schedule: %s\n", strings.TrimSpace(r.Schedules))
	}
	return nil
}
