package waitfor

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/watchlist"

	"github.com/osc-coco/kubectl-plugins/lib/clierr"
)

// recorder remembers whether the API server stopped answering the list and watch calls of a
// wait, so that a wait that ends because the server was gone says so instead of "timed out".
// The informer behind UntilWithSync keeps re-listing and re-watching on its own.
type recorder struct {
	inner cache.ListerWatcherWithContext
	// noWatchList: the client does not support watch-list semantics (see OnClient).
	noWatchList bool

	mu      sync.Mutex
	lastErr error
	since   time.Time // start of the current run of failures
	// watchEnded is when the last watch closed without being replaced yet (zero: one is open).
	watchEnded time.Time
}

func record(lw cache.ListerWatcher) *recorder {
	return &recorder{inner: cache.ToListerWatcherWithContext(lw), noWatchList: watchlist.DoesClientNotSupportWatchListSemantics(lw)}
}

func (r *recorder) note(err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if err == nil {
		r.lastErr, r.since = nil, time.Time{}
		return
	}
	if r.lastErr == nil {
		r.since = time.Now()
	}
	r.lastErr = err
}

func (r *recorder) lw() cache.ListerWatcher {
	lw := &cache.ListWatch{
		ListWithContextFunc: func(ctx context.Context, o metav1.ListOptions) (runtime.Object, error) {
			obj, err := r.inner.ListWithContext(ctx, o)
			if ctx.Err() == nil {
				r.note(err)
			}
			return obj, err
		},
		WatchFuncWithContext: func(ctx context.Context, o metav1.ListOptions) (watch.Interface, error) {
			w, err := r.inner.WatchWithContext(ctx, o)
			if ctx.Err() == nil {
				r.note(err)
			}
			if err != nil {
				return w, err
			}
			r.mu.Lock()
			r.watchEnded = time.Time{}
			r.mu.Unlock()
			return r.track(w), nil
		},
	}
	if r.noWatchList {
		return cache.ToListWatcherWithWatchListSemantics(lw, noWatchList{})
	}
	return lw
}

// noWatchList is a client that does not support watch-list semantics (client-go's fakes).
type noWatchList struct{}

func (noWatchList) IsWatchListSemanticsUnSupported() bool { return true }

// OnClient marks lw with whether client supports watch-list semantics: the reflector then
// lists and watches instead of waiting for a watch-list bookmark that client-go's fake
// clientsets never send (client-go's own informers do the same).
func OnClient(client any, lw *cache.ListWatch) cache.ListerWatcher {
	return cache.ToListWatcherWithWatchListSemantics(lw, client)
}

// trackedWatch passes a watch's events on and notes when the server ends it: after a cut
// connection the informer waits (backoff) before it tries again, so no failed call may show
// the outage before the deadline.
type trackedWatch struct {
	inner watch.Interface
	ch    chan watch.Event
	stop  chan struct{}
	once  sync.Once
}

func (r *recorder) track(w watch.Interface) watch.Interface {
	t := &trackedWatch{inner: w, ch: make(chan watch.Event), stop: make(chan struct{})}
	go func() {
		defer close(t.ch)
		for ev := range w.ResultChan() {
			select {
			case t.ch <- ev:
			case <-t.stop:
				return
			}
		}
		select {
		case <-t.stop: // stopped by the informer: not the server's doing
		default:
			r.mu.Lock()
			r.watchEnded = time.Now()
			r.mu.Unlock()
		}
	}()
	return t
}

func (t *trackedWatch) ResultChan() <-chan watch.Event { return t.ch }
func (t *trackedWatch) Stop() {
	t.once.Do(func() { close(t.stop) })
	t.inner.Stop()
}

// probeTimeout bounds the one request that tells, at the deadline, whether a server whose
// watch ended is reachable.
const probeTimeout = 500 * time.Millisecond

// outage turns a timeout into "the API server stopped answering" when the last calls failed
// and none succeeded since.
func (r *recorder) outage(timeout error) error {
	r.mu.Lock()
	ended := r.watchEnded
	r.mu.Unlock()
	if !ended.IsZero() {
		ctx, cancel := context.WithTimeout(context.Background(), probeTimeout)
		_, err := r.inner.ListWithContext(ctx, metav1.ListOptions{Limit: 1})
		cancel()
		if err != nil && (clierr.IsConnection(err) || errors.Is(err, context.DeadlineExceeded)) {
			r.mu.Lock()
			if r.lastErr == nil {
				r.lastErr, r.since = err, ended
			}
			r.mu.Unlock()
		}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.lastErr == nil || !(clierr.IsConnection(r.lastErr) || errors.Is(r.lastErr, context.DeadlineExceeded)) {
		return timeout
	}
	return &clierr.Error{Code: clierr.CodeFailure, Err: r.lastErr,
		Msg: fmt.Sprintf("the API server stopped answering at %s and was still unreachable %s later when the wait timed out",
			r.since.Format("15:04:05"), time.Since(r.since).Round(time.Second)),
		Fix: "check that the cluster is up and reachable (VPN, --context); then run the same command again: it picks up where it stopped"}
}
