package gardencmd

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	gardencorev1beta1 "github.com/gardener/gardener/pkg/apis/core/v1beta1"

	"github.com/osc-coco/kubectl-plugins/lib/clierr"
	"github.com/osc-coco/kubectl-plugins/lib/garden"
	"github.com/osc-coco/kubectl-plugins/lib/progress"
	"github.com/osc-coco/kubectl-plugins/lib/waitfor"
	"github.com/osc-coco/kubectl-plugins/plugins/shoot/shootstate"
)

// Wait targets.
const (
	forReconciled = "reconciled"
	forDeleted    = "deleted"
)

// errShootFailed marks a wait that ended because Gardener reported a failure.
var errShootFailed = errors.New("shoot operation failed")

// waitShoot follows one shoot with a watch until it is reconciled or gone, showing the last
// operation as a progress bar on a terminal. It returns the last state seen (nil once deleted).
func waitShoot(ctx context.Context, gd *garden.Conn, p garden.Project, name, target string, timeout time.Duration,
	prog *progress.Progress, errOut io.Writer) (*gardencorev1beta1.Shoot, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	shoots := gd.Core.CoreV1beta1().Shoots(p.Namespace)
	ctx, stop := stopWhenUnattended(ctx, shoots, name)
	defer stop()
	lw := waitfor.OnClient(gd.Core, waitfor.Named(shoots, name))
	step := prog.Start(fmt.Sprintf("waiting for shoot %s to be %s", name, target))
	var last *gardencorev1beta1.Shoot
	var msg string
	seen := false
	err := waitfor.UntilAll(ctx, lw, &gardencorev1beta1.Shoot{}, func(objs []any) (bool, error) {
		if len(objs) == 0 {
			last = nil
			if target == forDeleted {
				return true, nil
			}
			if seen {
				return false, fmt.Errorf("shoot %s was deleted while waiting for it", name)
			}
			return false, fmt.Errorf("shoot %s does not exist in project %s", name, p.Name)
		}
		s, ok := objs[0].(*gardencorev1beta1.Shoot)
		if !ok {
			return false, nil
		}
		seen, last = true, s
		var outcome shootstate.Outcome
		if target == forDeleted {
			outcome, msg = shootstate.Deleting(s)
		} else {
			outcome, msg = shootstate.Reconciled(s)
		}
		step.Update(fmt.Sprintf("shoot %s %s %s", name, progress.Bar(shootstate.Progress(s), 20), msg))
		switch outcome {
		case shootstate.Done:
			return true, nil
		case shootstate.Failed:
			return false, fmt.Errorf("%w: %s", errShootFailed, msg)
		}
		return false, nil
	})
	switch {
	case err == nil:
		if target == forDeleted {
			step.Done(fmt.Sprintf("shoot %s deleted", name))
		} else {
			step.Done(fmt.Sprintf("shoot %s reconciled", name))
		}
		return last, nil
	case isUnattended(ctx):
		why, _ := unattendedCause(ctx)
		step.Fail("nobody works on it")
		return last, unattendedFailure(name, target, why)
	case errors.Is(err, context.Canceled):
		step.Interrupted()
		return last, &clierr.Error{Code: clierr.CodeInterrupted, Msg: "interrupted while waiting for shoot " + name,
			Fix: fmt.Sprintf("Gardener carries on; follow it with: kubectl shoot wait %s --for %s", name, target)}
	case errors.Is(err, waitfor.ErrTimeout):
		step.Fail("timed out")
		printLastErrors(errOut, last)
		why, fix := timeoutFix(last, name, target)
		return last, clierr.Failf(fix, "shoot %s was not %s within %s (last state: %s)%s", name, target, timeout, orText(msg, "unknown"), why)
	case errors.Is(err, errShootFailed):
		step.Fail("failed")
		printLastErrors(errOut, last)
		return last, clierr.Failf("read the errors above; kubectl shoot status "+name+" shows the conditions", "shoot %s: %v", name, strings.TrimPrefix(err.Error(), errShootFailed.Error()+": "))
	}
	step.Fail(err.Error())
	return last, clierr.FromAPI(err, clierr.Action{Verb: "watch", Resource: "shoots.core.gardener.cloud", Namespace: p.Namespace, Name: name})
}

func printLastErrors(w io.Writer, s *gardencorev1beta1.Shoot) {
	if s == nil || len(s.Status.LastErrors) == 0 {
		return
	}
	fmt.Fprintf(w, "Last errors of shoot %s:\n", s.Name)
	for _, e := range s.Status.LastErrors {
		codes := ""
		if len(e.Codes) > 0 {
			var cs []string
			for _, c := range e.Codes {
				cs = append(cs, string(c))
			}
			codes = " [" + strings.Join(cs, ", ") + "]"
		}
		task := ""
		if e.TaskID != nil {
			task = *e.TaskID + ": "
		}
		fmt.Fprintf(w, "  - %s%s%s\n", task, e.Description, codes)
	}
}

func orText(s, d string) string {
	if s == "" {
		return d
	}
	return s
}
