package gardencmd

import (
	shootcmd "github.com/osc-coco/kubectl-plugins/plugins/shoot/cmd"

	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"

	gardencorev1beta1 "github.com/gardener/gardener/pkg/apis/core/v1beta1"
	"github.com/spf13/cobra"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/osc-coco/kubectl-plugins/lib/access"
	"github.com/osc-coco/kubectl-plugins/lib/cli"
	"github.com/osc-coco/kubectl-plugins/lib/clierr"
	"github.com/osc-coco/kubectl-plugins/lib/garden"
	"github.com/osc-coco/kubectl-plugins/lib/output"
	"github.com/osc-coco/kubectl-plugins/plugins/shoot/cloudprofile"
	"github.com/osc-coco/kubectl-plugins/plugins/shoot/pools"
	"github.com/osc-coco/kubectl-plugins/plugins/shoot/shootspec"
)

// PoolOptions runs one pool verb.
type PoolOptions struct {
	a      *gardenAccess
	out    output.Flags
	action string // list, add, scale, delete
	Shoot  string
	Pool   string
	add    pools.Add
	labels []string
	taints []string
	Min    int32
	Max    int32
	For    string
	DryRun cli.DryRun

	printer *output.Printer[PoolList]
}

// PoolList is the schema of "pool list -o json|yaml".
type PoolList struct {
	APIVersion string     `json:"apiVersion"`
	Kind       string     `json:"kind"`
	Shoot      string     `json:"shoot"`
	Items      []PoolInfo `json:"items"`
	Result     string     `json:"result,omitempty"` // add, scale, delete: changed, unchanged, would-change
	Reason     string     `json:"reason,omitempty"`
}

// PoolInfo is one pool.
type PoolInfo struct {
	Name        string            `json:"name"`
	MachineType string            `json:"machineType"`
	Min         int32             `json:"min"`
	Max         int32             `json:"max"`
	Zones       []string          `json:"zones"`
	Labels      map[string]string `json:"labels,omitempty"`
	Taints      []string          `json:"taints,omitempty"`
}

func newPoolCommand(a *gardenAccess) *cobra.Command {
	cmd := &cobra.Command{Use: "pool", Short: shootcmd.PoolShort}
	mk := func(action, use, short string, args int) (*PoolOptions, *cobra.Command) {
		o := &PoolOptions{a: a, action: action, DryRun: cli.DryRunNone, out: output.Flags{Allowed: []output.Format{output.Human, output.JSON, output.YAML}}}
		c := &cobra.Command{Use: use, Short: short, Args: cli.ExactArgs(args, strings.TrimPrefix(use, action+" ")), RunE: cli.RunE(withGarden(a, o)), ValidArgsFunction: completeShoots(a)}
		o.out.AddFlags(c)
		if action != "list" {
			cli.AddDryRunFlag(c.Flags(), &o.DryRun, `"client" says what would change, "server" lets the Gardener API check it`)
		}
		return o, c
	}
	_, list := mk("list", "list SHOOT", "The shoot's worker pools", 1)
	add, addCmd := mk("add", "add SHOOT POOL --machine-type TYPE", "Add a worker pool, checked against the cloud profile (--for coco: fit for Confidential Containers)", 2)
	f := addCmd.Flags()
	f.StringVar(&add.add.MachineType, "machine-type", "", "machine type (kubectl shoot machine-types lists them)")
	f.Int32Var(&add.add.Min, "min", 1, "minimum nodes")
	f.Int32Var(&add.add.Max, "max", 1, "maximum nodes")
	f.StringSliceVar(&add.add.Zones, "zones", nil, "zones (default: the first pool's)")
	f.StringSliceVar(&add.labels, "labels", nil, "node labels k=v (Gardener puts them on the pool's nodes)")
	f.StringArrayVar(&add.taints, "taints", nil, "node taints k=v:Effect (repeatable)")
	f.StringVar(&add.For, "for", "", `"coco": >= 4 CPUs and 8 GiB, nodes labelled node.kubernetes.io/worker`)
	f.StringVar(&add.add.TEE, "tee", "", "refused: CoCo has no SGX runtime class since v0.18")
	_ = f.MarkHidden("tee")
	scale, scaleCmd := mk("scale", "scale SHOOT POOL --min N --max M", "Change a pool's minimum and maximum", 2)
	scaleCmd.Flags().Int32Var(&scale.Min, "min", -1, "minimum nodes")
	scaleCmd.Flags().Int32Var(&scale.Max, "max", -1, "maximum nodes")
	_, del := mk("delete", "delete SHOOT POOL", "Delete a pool (never the last one)", 2)
	cmd.AddCommand(list, addCmd, scaleCmd, del)
	return cmd
}

// Complete reads the names, -o and the add flags.
func (o *PoolOptions) Complete(args []string) error {
	o.Shoot = args[0]
	if err := shootName(o.Shoot); err != nil {
		return err
	}
	if len(args) > 1 {
		o.Pool = args[1]
	}
	var err error
	if o.printer, err = output.ToPrinter(&o.out, o.printHuman); err != nil {
		return err
	}
	if o.action != "add" {
		return nil
	}
	o.add.Name, o.add.ForCoco = o.Pool, o.For == "coco"
	if len(o.labels) > 0 {
		if o.add.Labels, err = labels.ConvertSelectorToLabelsMap(strings.Join(o.labels, ",")); err != nil {
			return clierr.Usagef("use --labels k=v,k2=v2", "invalid --labels: %v", err)
		}
	}
	if o.add.Taints, err = pools.ParseTaints(o.taints); err != nil {
		return clierr.Usagef("use --taints key=value:NoSchedule", "%v", err)
	}
	return nil
}

// Validate checks the flags without I/O.
func (o *PoolOptions) Validate() error {
	switch o.action {
	case "add":
		if err := pools.ValidateName(o.Pool); err != nil {
			return clierr.Usagef("use lower-case letters, digits and '-', at most 15", "%v", err)
		}
		if o.add.MachineType == "" {
			return clierr.Usagef("pass --machine-type (kubectl shoot machine-types lists them)", "--machine-type is required")
		}
		if o.add.Min < 0 || o.add.Max < o.add.Min || o.add.Max < 1 {
			return clierr.Usagef("e.g. --min 1 --max 3", "--min %d --max %d: need 0 <= MIN <= MAX and MAX >= 1", o.add.Min, o.add.Max)
		}
		if o.For != "" && o.For != "coco" {
			return clierr.Usagef("use --for coco", "unknown --for %q", o.For)
		}
		if o.add.TEE != "" {
			return clierr.Usagef("drop --tee; kubectl shoot machine-types lists the machine types", "--tee %s: %s", o.add.TEE, shootspec.SGXDropped)
		}
		if w := shootspec.CocoWarning(o.add.MachineType); w != "" && o.For == "coco" {
			o.a.g.Warn(w)
		}
	case "scale":
		if o.Min < 0 || o.Max < 0 {
			return clierr.Usagef("e.g. --min 1 --max 3", "give both --min and --max")
		}
	}
	return nil
}

// Run reads the shoot, changes its pools and updates it (optimistically: a shoot changed
// meanwhile is not overwritten).
func (o *PoolOptions) Run(ctx context.Context) error {
	gd, p, s, err := o.a.connectShoot(ctx, o.Shoot)
	if err != nil {
		return err
	}
	if o.action == "list" {
		return o.print(s, "", "")
	}
	workers, err := o.change(ctx, gd, p, s)
	var unchanged *pools.Unchanged
	switch {
	case errors.As(err, &unchanged):
		return o.print(s, "unchanged", unchanged.Reason)
	case err != nil:
		var nf *cloudprofile.NotFoundError
		var ie *shootspec.InputError
		switch {
		case errors.As(err, &nf):
			return clierr.Usagef(nf.Fix(), "%v", err)
		case errors.As(err, &ie):
			return clierr.Usagef(ie.Fix(), "%v", err)
		}
		return clierr.Failf("kubectl shoot pool list "+o.Shoot, "%v", err)
	}
	if err := access.Check(ctx, gd.Kube, access.Request{Verb: "update", Group: "core.gardener.cloud", Resource: "shoots", Namespace: p.Namespace}); err != nil {
		return clierr.Wrap(err, "changing the pools of shoot %s", o.Shoot)
	}
	s.Spec.Provider.Workers = workers
	if o.DryRun == cli.DryRunClient {
		return o.print(s, "would-change", "")
	}
	opts := metav1.UpdateOptions{FieldManager: "kubectl-shoot"}
	if o.DryRun == cli.DryRunServer {
		opts.DryRun = []string{metav1.DryRunAll}
	}
	updated, err := gd.Core.CoreV1beta1().Shoots(p.Namespace).Update(ctx, s, opts)
	switch {
	case apierrors.IsConflict(err):
		return clierr.Failf("run the same command again (it reads the shoot anew)", "shoot %s was changed meanwhile; nothing was changed", o.Shoot)
	case apierrors.IsInvalid(err):
		return clierr.Failf("fix the flag the message names", "the Gardener API rejected the pools: %v", err)
	case err != nil:
		return clierr.FromAPI(err, clierr.Action{Verb: "update", Resource: "shoots.core.gardener.cloud", Namespace: p.Namespace, Name: o.Shoot})
	}
	result := "changed"
	if o.DryRun == cli.DryRunServer {
		result = "would-change"
	}
	return o.print(updated, result, "")
}

func (o *PoolOptions) change(ctx context.Context, gd *garden.Conn, p garden.Project, s *gardencorev1beta1.Shoot) ([]gardencorev1beta1.Worker, error) {
	switch o.action {
	case "add":
		name := ""
		if ref := s.Spec.CloudProfile; ref != nil {
			name = strings.ToLower(ref.Kind) + "/" + ref.Name
		}
		prof, err := resolveProfile(ctx, gd, p, name)
		if err != nil {
			return nil, err
		}
		return pools.AddPool(s, prof.Spec, o.add)
	case "scale":
		return pools.Scale(s, o.Pool, o.Min, o.Max)
	}
	return pools.Delete(s, o.Pool)
}

func (o *PoolOptions) print(s *gardencorev1beta1.Shoot, result, reason string) error {
	l := PoolList{APIVersion: "shoot.osc-coco.io/v1alpha1", Kind: "PoolList", Shoot: s.Name, Items: []PoolInfo{}, Result: result, Reason: reason}
	for _, w := range s.Spec.Provider.Workers {
		pi := PoolInfo{Name: w.Name, MachineType: w.Machine.Type, Min: w.Minimum, Max: w.Maximum, Zones: w.Zones, Labels: w.Labels}
		for _, t := range w.Taints {
			pi.Taints = append(pi.Taints, t.ToString())
		}
		l.Items = append(l.Items, pi)
	}
	return o.printer.Print(o.a.g.Streams.Out, l)
}

func (o *PoolOptions) printHuman(w io.Writer, l PoolList) error {
	if l.Result != "" {
		msg := map[string]string{"changed": "changed", "unchanged": "unchanged: " + l.Reason, "would-change": "would change (dry run)"}[l.Result]
		fmt.Fprintf(w, "shoot %s: pool %s %s %s\n", l.Shoot, o.Pool, o.action, msg)
	}
	t := output.Table{Headers: []string{"POOL", "MACHINE TYPE", "MIN", "MAX", "ZONES", "LABELS", "TAINTS"}, NoHeaders: o.out.NoHeaders}
	for _, pi := range l.Items {
		var ls []string
		for k, v := range pi.Labels {
			ls = append(ls, k+"="+v)
		}
		sort.Strings(ls)
		t.Add(output.C(pi.Name), output.C(pi.MachineType), output.C(fmt.Sprint(pi.Min)), output.C(fmt.Sprint(pi.Max)), output.C(strings.Join(pi.Zones, ",")),
			output.C(dash(strings.Join(ls, ","))), output.C(dash(strings.Join(pi.Taints, ","))))
	}
	return t.Render(w)
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
