package garden

import (
	"context"
	"errors"
	"strings"
	"sync"
	"time"

	gardencorev1beta1 "github.com/gardener/gardener/pkg/apis/core/v1beta1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/client-go/rest"

	"github.com/osc-coco/kubectl-plugins/lib/clierr"
	"github.com/osc-coco/kubectl-plugins/lib/report"
)

// Result states of one shoot of a fleet read, in the collection's vocabulary (lib/report); the
// reason says which: a hibernated shoot is skipped, an unreachable or forbidden one cannot be
// told (unknown), never taken for fine.
const (
	OK          = string(report.Pass)
	Hibernated  = string(report.Skip)
	Unreachable = string(report.Unknown)
	Forbidden   = string(report.Unknown)
	Failed      = string(report.Fail)
)

// Causes of a result that is not pass: the word a table shows and a script can test.
const (
	CauseHibernated  = "hibernated"
	CauseUnreachable = "unreachable"
	CauseForbidden   = "forbidden"
	CauseFailed      = "failed"
)

// Result is one shoot's outcome: hibernated shoots and shoots that cannot be reached are
// results with their reason, not failures of the whole read.
type Result[T any] struct {
	Shoot  string `json:"shoot"`
	Status string `json:"status"`
	// Cause says why a shoot was not read: hibernated, unreachable, forbidden or failed.
	Cause  string `json:"cause,omitempty"`
	Reason string `json:"reason,omitempty"`
	// Access is the kubeconfig the read used: admin or viewer.
	Access string `json:"access,omitempty"`
	Value  T      `json:"value,omitempty"`
}

// FleetExpiration is how long a fleet read's kubeconfigs live (Gardener's minimum).
const FleetExpiration = 10 * time.Minute

// Run reads every shoot with at most parallel at once, in the shoots' order, each through a
// kubeconfig issued for it, or cached from an earlier read (fleetCredential).
func Run[T any](ctx context.Context, c *Conn, p Project, shoots []gardencorev1beta1.Shoot, parallel int,
	read func(ctx context.Context, cfg *rest.Config) (T, error)) []Result[T] {
	results := make([]Result[T], len(shoots))
	sem := make(chan struct{}, max(parallel, 1))
	var wg sync.WaitGroup
	for i := range shoots {
		s := &shoots[i]
		results[i].Shoot = s.Name
		if hibernated(s) {
			results[i].Status, results[i].Cause, results[i].Reason = Hibernated, CauseHibernated, "the shoot is hibernated: no nodes run"
			continue
		}
		wg.Add(1)
		go func(r *Result[T]) {
			defer wg.Done()
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				r.Status, r.Reason = Failed, ctx.Err().Error()
				return
			}
			defer func() { <-sem }()
			readOne(ctx, c, p, s, r, read)
		}(&results[i])
	}
	wg.Wait()
	return results
}

func readOne[T any](ctx context.Context, c *Conn, p Project, s *gardencorev1beta1.Shoot, r *Result[T], read func(context.Context, *rest.Config) (T, error)) {
	cred, err := c.fleetCredential(ctx, p.Namespace, s)
	if err != nil {
		r.Status, r.Cause, r.Reason = classify(err, "getting a kubeconfig from the Gardener API")
		return
	}
	v, err := readWith(ctx, c, cred.cfg, read)
	if err != nil && cred.cached && stale(err) {
		c.refused(s.Name, cred, err)
		if cred, err = c.issueCredential(ctx, p.Namespace, s); err != nil {
			r.Status, r.Cause, r.Reason = classify(err, "getting a kubeconfig from the Gardener API")
			return
		}
		v, err = readWith(ctx, c, cred.cfg, read)
	}
	r.Access = cred.access
	if err != nil {
		r.Status, r.Cause, r.Reason = classify(err, "reading the shoot")
		return
	}
	r.Status, r.Value = OK, v
}

// readWith reads the shoot through cfg.
func readWith[T any](ctx context.Context, c *Conn, cfg *rest.Config, read func(context.Context, *rest.Config) (T, error)) (T, error) {
	cfg = rest.CopyConfig(cfg)
	cfg.Timeout = 30 * time.Second
	if c.Wrap != nil {
		c.Wrap(cfg)
	}
	return read(ctx, cfg)
}

func hibernated(s *gardencorev1beta1.Shoot) bool {
	return s.Status.IsHibernated || (s.Spec.Hibernation != nil && s.Spec.Hibernation.Enabled != nil && *s.Spec.Hibernation.Enabled)
}

func classify(err error, what string) (status, cause, reason string) {
	var ce *clierr.Error
	msg := err.Error()
	if errors.As(err, &ce) {
		msg = ce.Error()
	}
	switch {
	case apierrors.IsForbidden(err) || strings.Contains(msg, "not allowed to"):
		return Forbidden, CauseForbidden, what + ": " + msg
	case clierr.IsConnection(err) || errors.Is(err, context.DeadlineExceeded) || strings.Contains(msg, "unreachable") || strings.Contains(msg, "connection refused"):
		return Unreachable, CauseUnreachable, what + ": " + msg
	}
	return Failed, CauseFailed, what + ": " + msg
}
