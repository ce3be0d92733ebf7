// Package lifecycle decides what the shoot lifecycle verbs (hibernate, wake-up, reconcile,
// retry, maintain) change on a Shoot, and when what they asked for is done. The operation
// annotations are Gardener's (gardener.cloud/operation with the values of
// github.com/gardener/gardener/pkg/apis/core/v1beta1/constants at v1.150.0); the API server
// itself removes reconcile (and retry, on a failed shoot) and bumps the generation
// (pkg/apiserver/registry/core/shoot/strategy.go), the maintenance controller removes maintain.
package lifecycle

import (
	"encoding/json"
	"fmt"
	"strings"

	gardencorev1beta1 "github.com/gardener/gardener/pkg/apis/core/v1beta1"
	v1beta1constants "github.com/gardener/gardener/pkg/apis/core/v1beta1/constants"

	"github.com/osc-coco/kubectl-plugins/plugins/shoot/shootstate"
)

// Verb is a lifecycle command.
type Verb string

const (
	Hibernate Verb = "hibernate"
	WakeUp    Verb = "wake-up"
	Reconcile Verb = "reconcile"
	Retry     Verb = "retry"
	Maintain  Verb = "maintain"
)

// Verbs are all of them, in help order.
var Verbs = []Verb{Hibernate, WakeUp, Reconcile, Retry, Maintain}

// operations are the annotation values of the annotating verbs.
var operations = map[Verb]string{
	Reconcile: v1beta1constants.GardenerOperationReconcile,
	Retry:     v1beta1constants.ShootOperationRetry,
	Maintain:  v1beta1constants.ShootOperationMaintain,
}

// Change is what a verb does: a JSON merge patch, or nothing (Noop says why).
type Change struct {
	Patch []byte
	Noop  string
	// What describes the change for people.
	What string
}

// Refused is a verb that does not apply to the shoot as it is (exit 1).
type Refused struct{ Reason, Fix string }

func (e *Refused) Error() string { return e.Reason }

// Plan decides the change for v on s.
func Plan(s *gardencorev1beta1.Shoot, v Verb) (Change, error) {
	if s.DeletionTimestamp != nil {
		return Change{}, &Refused{Reason: fmt.Sprintf("shoot %s is being deleted", s.Name), Fix: "kubectl shoot wait " + s.Name + " --for deleted"}
	}
	switch v {
	case Hibernate, WakeUp:
		return planHibernation(s, v == Hibernate)
	case Retry:
		if lo := s.Status.LastOperation; lo == nil || lo.State != gardencorev1beta1.LastOperationStateFailed {
			state := "none yet"
			if lo != nil {
				state = fmt.Sprintf("%s %s", lo.Type, lo.State)
			}
			return Change{}, &Refused{Reason: fmt.Sprintf("retry applies to a shoot whose last operation failed; shoot %s's is %s", s.Name, state),
				Fix: "kubectl shoot reconcile " + s.Name + " reconciles it anyway"}
		}
	}
	op, ok := operations[v]
	if !ok {
		return Change{}, fmt.Errorf("unknown verb %q", v)
	}
	if pending := s.Annotations[v1beta1constants.GardenerOperation]; pending == op {
		return Change{Noop: fmt.Sprintf("%s is already requested; Gardener has not picked it up yet", op)}, nil
	} else if pending != "" {
		return Change{}, &Refused{Reason: fmt.Sprintf("shoot %s has operation %q pending", s.Name, pending), Fix: "wait for it: kubectl shoot wait " + s.Name}
	}
	patch, _ := json.Marshal(map[string]any{"metadata": map[string]any{"annotations": map[string]string{v1beta1constants.GardenerOperation: op}}})
	return Change{Patch: patch, What: fmt.Sprintf("annotated %s=%s", v1beta1constants.GardenerOperation, op)}, nil
}

func planHibernation(s *gardencorev1beta1.Shoot, hibernate bool) (Change, error) {
	enabled := s.Spec.Hibernation != nil && s.Spec.Hibernation.Enabled != nil && *s.Spec.Hibernation.Enabled
	switch {
	case hibernate && enabled:
		return Change{Noop: "already hibernated (or hibernating)"}, nil
	case !hibernate && !enabled:
		return Change{Noop: "already awake (or waking up)"}, nil
	}
	patch, _ := json.Marshal(map[string]any{"spec": map[string]any{"hibernation": map[string]any{"enabled": hibernate}}})
	what := "spec.hibernation.enabled=false"
	if hibernate {
		what = "spec.hibernation.enabled=true"
	}
	return Change{Patch: patch, What: what}, nil
}

// Done says whether v's effect is there: the generation the change made is observed, the
// maintenance controller took its annotation, hibernation matches, the last operation ended.
func Done(s *gardencorev1beta1.Shoot, v Verb, generation int64) (shootstate.Outcome, string) {
	lo := s.Status.LastOperation
	switch {
	case s.Status.ObservedGeneration < generation:
		return shootstate.Waiting, "waiting for Gardener to observe the change"
	case v == Maintain && s.Annotations[v1beta1constants.GardenerOperation] == v1beta1constants.ShootOperationMaintain:
		return shootstate.Waiting, "waiting for the maintenance controller to pick it up"
	case lo != nil && lo.State == gardencorev1beta1.LastOperationStateFailed:
		return shootstate.Failed, fmt.Sprintf("%s failed: %s", lo.Type, lo.Description)
	case lo == nil || lo.State != gardencorev1beta1.LastOperationStateSucceeded || lo.Progress != 100:
		return shootstate.Reconciled(s)
	case v == Hibernate && !s.Status.IsHibernated:
		return shootstate.Waiting, "waiting for the shoot to be hibernated"
	case v == WakeUp && s.Status.IsHibernated:
		return shootstate.Waiting, "waiting for the shoot to wake up"
	}
	return shootstate.Done, fmt.Sprintf("%s succeeded", lo.Type)
}

// Schedules describes the shoot's hibernation schedules ("" when there are none).
func Schedules(s *gardencorev1beta1.Shoot) string {
	if s.Spec.Hibernation == nil || len(s.Spec.Hibernation.Schedules) == 0 {
		return ""
	}
	var parts []string
	for _, sc := range s.Spec.Hibernation.Schedules {
		p := []string{}
		if sc.Start != nil {
			p = append(p, "hibernate at "+*sc.Start)
		}
		if sc.End != nil {
			p = append(p, "wake up at "+*sc.End)
		}
		if sc.Location != nil {
			p = append(p, "("+*sc.Location+")")
		}
		parts = append(parts, strings.Join(p, ", "))
	}
	return strings.Join(parts, "; ")
}
