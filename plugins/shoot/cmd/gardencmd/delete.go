package gardencmd

import (
	shootcmd "github.com/osc-coco/kubectl-plugins/plugins/shoot/cmd"

	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/osc-coco/kubectl-plugins/lib/access"
	"github.com/osc-coco/kubectl-plugins/lib/cli"
	"github.com/osc-coco/kubectl-plugins/lib/clierr"
	"github.com/osc-coco/kubectl-plugins/lib/garden"
)

// ConfirmationAnnotation is what Gardener's DeletionConfirmation admission plugin requires.
const ConfirmationAnnotation = "confirmation.gardener.cloud/deletion"

// DeleteOptions deletes a shoot after confirmation.
type DeleteOptions struct {
	a       *gardenAccess
	Name    string
	Yes     bool
	DryRun  cli.DryRun
	Wait    bool
	Timeout time.Duration
}

func newDeleteCommand(a *gardenAccess) *cobra.Command {
	o := &DeleteOptions{a: a, Timeout: 30 * time.Minute}
	cmd := &cobra.Command{
		Use:   "delete NAME",
		Short: shootcmd.DeleteShort,
		Long: `Deletes the shoot and everything in it: its nodes, volumes and load balancers (and their
floating IPs) are released. You are asked to type the shoot's name; --yes skips the question
(needed when stdin is not a terminal). The command sets the annotation
confirmation.gardener.cloud/deletion=true that Gardener requires, then deletes.`,
		Args:              cli.ExactArgs(1, "the shoot name"),
		ValidArgsFunction: completeShoots(a),
		RunE:              cli.RunE(withGarden(a, o)),
	}
	f := cmd.Flags()
	f.BoolVarP(&o.Yes, "yes", "y", false, "do not ask for confirmation")
	cli.AddDryRunFlag(f, &o.DryRun, "say what would be deleted, change nothing")
	f.BoolVar(&o.Wait, "wait", false, "wait until the shoot is gone")
	f.DurationVar(&o.Timeout, "timeout", o.Timeout, "how long --wait waits")
	return cmd
}

// Complete reads the name.
func (o *DeleteOptions) Complete(args []string) error {
	o.Name = args[0]
	return shootName(o.Name)
}

// Validate checks --timeout.
func (o *DeleteOptions) Validate() error {
	if err := o.DryRun.ClientOnly(); err != nil {
		return err
	}
	if err := cli.CheckTimeout(o.Timeout, "30m"); err != nil {
		return err
	}
	return nil
}

// Run confirms, annotates and deletes.
func (o *DeleteOptions) Run(ctx context.Context) error {
	gd, p, err := o.a.connectProject(ctx)
	if err != nil {
		return err
	}
	out := o.a.g.Streams.Out
	s, err := gd.Core.CoreV1beta1().Shoots(p.Namespace).Get(ctx, o.Name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		fmt.Fprintf(out, "shoot %s does not exist in project %s: nothing to delete\n", o.Name, p.Name)
		return nil
	}
	if err != nil {
		return clierr.FromAPI(err, clierr.Action{Verb: "get", Resource: "shoots.core.gardener.cloud", Namespace: p.Namespace, Name: o.Name})
	}
	if o.DryRun.On() {
		fmt.Fprintf(out, "shoot %s in project %s would be deleted (dry run)\n", o.Name, p.Name)
		return nil
	}
	if s.DeletionTimestamp == nil {
		// Both before asking for the name: a refusal after the user typed it helps no one.
		if err := access.Check(ctx, gd.Kube,
			access.Request{Verb: "patch", Group: "core.gardener.cloud", Resource: "shoots", Namespace: p.Namespace},
			access.Request{Verb: "delete", Group: "core.gardener.cloud", Resource: "shoots", Namespace: p.Namespace}); err != nil {
			return clierr.Wrap(err, "deleting shoot %s (Gardener needs the confirmation annotation, then the delete)", o.Name)
		}
		if !o.Yes {
			if err := o.confirm(p); err != nil {
				return err
			}
		}
		shoots := gd.Core.CoreV1beta1().Shoots(p.Namespace)
		patch, _ := json.Marshal(map[string]any{"metadata": map[string]any{
			"annotations":     map[string]string{ConfirmationAnnotation: "true"},
			"resourceVersion": s.ResourceVersion, // fail rather than confirm a shoot someone just replaced
		}})
		if _, err := shoots.Patch(ctx, o.Name, types.MergePatchType, patch, metav1.PatchOptions{FieldManager: "kubectl-shoot"}); err != nil {
			return clierr.Wrap(clierr.FromAPI(err, clierr.Action{Verb: "patch", Resource: "shoots.core.gardener.cloud", Namespace: p.Namespace, Name: o.Name}),
				"confirming the deletion of shoot %s", o.Name)
		}
		uid := s.UID
		if err := shoots.Delete(ctx, o.Name, metav1.DeleteOptions{Preconditions: &metav1.Preconditions{UID: &uid}}); err != nil && !apierrors.IsNotFound(err) {
			return clierr.Wrap(clierr.FromAPI(err, clierr.Action{Verb: "delete", Resource: "shoots.core.gardener.cloud", Namespace: p.Namespace, Name: o.Name}),
				"the shoot is annotated for deletion but was not deleted")
		}
		fmt.Fprintf(out, "shoot %s in project %s is being deleted\n", o.Name, p.Name)
	} else {
		fmt.Fprintf(out, "shoot %s in project %s is already being deleted\n", o.Name, p.Name)
	}
	if !o.Wait {
		fmt.Fprintf(out, "follow it with: kubectl shoot wait %s --for deleted\n", o.Name)
		return nil
	}
	if _, err := waitShoot(ctx, gd, p, o.Name, forDeleted, o.Timeout, o.a.g.Progress(), o.a.g.Streams.ErrOut); err != nil {
		return err
	}
	fmt.Fprintf(out, "shoot %s deleted\n", o.Name)
	return nil
}

// confirm asks for the shoot's name on stdin, as the dashboard does.
func (o *DeleteOptions) confirm(p garden.Project) error {
	fmt.Fprintf(o.a.g.Streams.ErrOut, "This deletes shoot %s in project %s with all its nodes, volumes and load balancers.\nType the shoot name to confirm: ", o.Name, p.Name)
	line, err := bufio.NewReader(o.a.g.Streams.In).ReadString('\n')
	if strings.TrimSpace(line) == o.Name {
		return nil
	}
	if err != nil && strings.TrimSpace(line) == "" {
		return clierr.Usagef("type the shoot name when asked, or pass --yes", "deletion of shoot %s not confirmed (no answer on stdin); nothing was changed", o.Name)
	}
	return clierr.Failf("type the shoot name exactly, or pass --yes", "deletion of shoot %s not confirmed (got %q); nothing was changed", o.Name, strings.TrimSpace(line))
}
