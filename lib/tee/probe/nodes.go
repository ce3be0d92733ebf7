package probe

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"

	"k8s.io/client-go/kubernetes"

	"github.com/osc-coco/kubectl-plugins/lib/clierr"
	"github.com/osc-coco/kubectl-plugins/lib/progress"
	"github.com/osc-coco/kubectl-plugins/lib/tee"
	"github.com/osc-coco/kubectl-plugins/lib/tee/nodecheck"
)

// Nodes probes every node of reports with at most parallel probes at once, and merges each
// host's verdict into its report. base gives everything but the node. With one node a failed
// probe is the error; with several it becomes that node's failed "host-probe" check, so one
// bad node does not hide the others. Every probe pod is gone when Nodes returns.
func Nodes(ctx context.Context, cs kubernetes.Interface, base Options, reports []nodecheck.Report, opts nodecheck.Options,
	parallel int, prog *progress.Progress) error {
	if len(reports) == 0 {
		return nil
	}
	first := base
	first.Node = reports[0].Name
	if err := Preflight(ctx, cs, first); err != nil {
		return err
	}
	// One line per probe while it runs (several at once with parallel), under a line that
	// counts them when there are several nodes.
	var step *progress.Step
	if len(reports) > 1 {
		step = prog.Start(fmt.Sprintf("probing %d node(s) in namespace %s", len(reports), base.Namespace))
	}
	var (
		wg     sync.WaitGroup
		sem    = make(chan struct{}, max(parallel, 1))
		done   atomic.Int32
		mu     sync.Mutex
		errs   = make([]error, len(reports))
		single = len(reports) == 1
	)
	for i := range reports {
		wg.Add(1)
		go func() {
			defer wg.Done()
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				errs[i] = clierr.ErrInterrupted
				return
			}
			defer func() { <-sem }()
			o := base
			o.Node = reports[i].Name
			line := prog.Start("probing node " + o.Node)
			o.OnStatus = func(s string) { line.Update("probing node " + o.Node + ": " + s) }
			res, err := Run(ctx, cs, o)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs[i] = err
				line.End(err, "")
				return
			}
			reports[i].WithHost(res.Report, opts)
			line.Done(res.Report.TEE.String())
			if step != nil {
				step.Update(fmt.Sprintf("probed %d of %d node(s)", done.Add(1), len(reports)))
			}
		}()
	}
	wg.Wait()
	if ctx.Err() != nil {
		endStep(step, false, "interrupted")
		if single {
			return errs[0]
		}
		return interruptedProbes(errs)
	}
	if single && errs[0] != nil {
		return errs[0]
	}
	failed := 0
	for i, err := range errs {
		if err != nil {
			failed++
			reports[i].Checks = append(reports[i].Checks, tee.Check{ID: "host-probe", Status: tee.Fail, Message: err.Error(), Fix: clierr.FixOf(err)})
			reports[i].Ready = false
		}
	}
	if failed > 0 {
		endStep(step, false, fmt.Sprintf("%d of %d probe(s) failed", failed, len(reports)))
	} else {
		endStep(step, true, fmt.Sprintf("%d node(s) probed", len(reports)))
	}
	return nil
}

func endStep(step *progress.Step, ok bool, detail string) {
	switch {
	case step == nil:
	case ok:
		step.Done(detail)
	default:
		step.Fail(detail)
	}
}

// interruptedProbes is the error of an interrupted run: what was left behind, if anything,
// and not each probe's own "interrupted" again.
func interruptedProbes(errs []error) error {
	var left []error
	for _, err := range errs {
		var e *clierr.Error
		if err == nil || errors.As(err, &e) && e.Code == clierr.CodeInterrupted && e.Err == nil {
			continue // interrupted, its pod deleted
		}
		left = append(left, err)
	}
	if len(left) == 0 {
		return &clierr.Error{Code: clierr.CodeInterrupted, Msg: "interrupted; the probe pods were deleted"}
	}
	return &clierr.Error{Code: clierr.CodeInterrupted, Msg: "interrupted", Err: errors.Join(left...)}
}
