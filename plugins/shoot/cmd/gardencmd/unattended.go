package gardencmd

import (
	"context"
	"errors"
	"fmt"
	"time"

	gardencorev1beta1 "github.com/gardener/gardener/pkg/apis/core/v1beta1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/osc-coco/kubectl-plugins/lib/clierr"
	"github.com/osc-coco/kubectl-plugins/plugins/shoot/shootstate"
)

// unattendedAfter is how long a wait gives the garden to place a shoot on a seed and the seed's
// gardenlet to pick up its change, before it says that nobody will: a working garden does
// both within seconds.
var unattendedAfter = 2 * time.Minute

// unattendedError stops a wait on a shoot no controller works on.
type unattendedError struct{ why string }

func (e *unattendedError) Error() string { return e.why }

type shootGetter interface {
	Get(ctx context.Context, name string, opts metav1.GetOptions) (*gardencorev1beta1.Shoot, error)
}

// stopWhenUnattended returns ctx, cancelled with an *unattendedError when the shoot is still
// unattended unattendedAfter from now (a wait that cannot end says why and stops, rather than
// running out its --timeout); stop releases it.
func stopWhenUnattended(ctx context.Context, shoots shootGetter, name string) (context.Context, func()) {
	ctx, cancel := context.WithCancelCause(ctx)
	t := time.AfterFunc(unattendedAfter, func() {
		s, err := shoots.Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return // the wait meets the same error, or the shoot's deletion, itself
		}
		if why, stuck := shootstate.Unattended(s); stuck {
			cancel(&unattendedError{why: why})
		}
	})
	return ctx, func() { t.Stop(); cancel(nil) }
}

// unattendedCause is the reason ctx was stopped for, if it was stopped for one.
func unattendedCause(ctx context.Context) (string, bool) {
	var ue *unattendedError
	if errors.As(context.Cause(ctx), &ue) {
		return ue.why, true
	}
	return "", false
}

// unattendedFailure is the error of a wait that cannot end.
func unattendedFailure(name, target, why string) error {
	return clierr.Failf(fmt.Sprintf("waiting longer will not help: a seed and its gardenlet must take the shoot first (ask the garden's operators); then: kubectl shoot wait %s --for %s", name, target),
		"shoot %s will not be %s: %s", name, target, why)
}

// timeoutFix is the fix of a wait that ran out of time: wait longer, unless nobody works on
// the shoot.
func timeoutFix(last *gardencorev1beta1.Shoot, name, target string) (string, string) {
	if why, stuck := shootstate.Unattended(last); stuck {
		return "; " + why, fmt.Sprintf("waiting longer will not help: a seed and its gardenlet must take the shoot first (ask the garden's operators); then: kubectl shoot wait %s --for %s", name, target)
	}
	return "", fmt.Sprintf("Gardener carries on; wait longer with: kubectl shoot wait %s --for %s --timeout 30m", name, target)
}

func isUnattended(ctx context.Context) bool {
	_, ok := unattendedCause(ctx)
	return ok
}
