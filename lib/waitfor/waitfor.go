// Package waitfor follows objects with watches until a condition holds, as kubectl wait does:
// list, then watch from that resource version, re-listing when the watch breaks. Never a
// sleep loop.
package waitfor

import (
	"context"
	"errors"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"
	watchtools "k8s.io/client-go/tools/watch"
)

// ErrTimeout is returned when the context's deadline passed before the condition held.
var ErrTimeout = errors.New("timed out waiting for the condition")

// shutdownGrace is how long a wait whose context ended waits for its informer to stop.
const shutdownGrace = 200 * time.Millisecond

// Condition is called with every event, starting with the object as listed. It returns true to
// stop waiting.
type Condition = watchtools.ConditionFunc

// Until waits on a ListerWatcher until cond holds, ctx ends (Ctrl-C) or its deadline passes.
// If the API server stopped answering and the deadline passes before it is back, the error says
// so (a *clierr.Error, not ErrTimeout).
func Until(ctx context.Context, lw cache.ListerWatcher, objType runtime.Object, cond Condition) (*watch.Event, error) {
	rec := record(lw)
	ev, err := watchtools.UntilWithSync(ctx, rec.lw(), objType, nil, cond)
	if err == nil {
		return ev, nil
	}
	switch {
	case errors.Is(ctx.Err(), context.DeadlineExceeded), wait.Interrupted(err) && ctx.Err() == nil:
		return ev, rec.outage(ErrTimeout)
	case errors.Is(ctx.Err(), context.Canceled):
		return ev, context.Canceled
	}
	return ev, err
}

// ListFunc and WatchFunc are a typed client's List and Watch.
type (
	ListFunc  func(context.Context, metav1.ListOptions) (runtime.Object, error)
	WatchFunc func(context.Context, metav1.ListOptions) (watch.Interface, error)
)

// Selected is a ListerWatcher for the objects matching a field and a label selector ("" for all).
func Selected(list ListFunc, watchFn WatchFunc, fieldSelector, labelSelector string) *cache.ListWatch {
	return &cache.ListWatch{
		ListWithContextFunc: func(ctx context.Context, o metav1.ListOptions) (runtime.Object, error) {
			o.FieldSelector, o.LabelSelector = fieldSelector, labelSelector
			return list(ctx, o)
		},
		WatchFuncWithContext: func(ctx context.Context, o metav1.ListOptions) (watch.Interface, error) {
			o.FieldSelector, o.LabelSelector = fieldSelector, labelSelector
			return watchFn(ctx, o)
		},
	}
}

// SingleObject is a ListerWatcher for one named object, as kubectl wait builds it.
func SingleObject(list ListFunc, watchFn WatchFunc, name string) *cache.ListWatch {
	return Selected(list, watchFn, fields.OneTermEqualSelector("metadata.name", name).String(), "")
}

// Pod waits for one pod.
func Pod(ctx context.Context, cs kubernetes.Interface, namespace, name string, cond func(pod *corev1.Pod, deleted bool) (bool, error)) (*corev1.Pod, error) {
	pods := cs.CoreV1().Pods(namespace)
	lw := OnClient(cs, Named(pods, name))
	var last *corev1.Pod
	_, err := Until(ctx, lw, &corev1.Pod{}, func(ev watch.Event) (bool, error) {
		pod, ok := ev.Object.(*corev1.Pod)
		if !ok {
			return false, nil
		}
		last = pod
		return cond(pod, ev.Type == watch.Deleted)
	})
	return last, err
}

// UntilAll waits until check holds for the whole set of objects the ListerWatcher sees: it is
// checked once the first list is in, and again after every change. Unlike Until it also ends
// when nothing ever changes (the state was reached before the wait began).
func UntilAll(ctx context.Context, lw cache.ListerWatcher, objType runtime.Object, check func(objs []any) (bool, error)) error {
	var (
		store   cache.Store
		mu      sync.Mutex
		stopped bool // once UntilAll has returned, check is not called again
	)
	guarded := func(objs func() []any) (bool, error) {
		mu.Lock()
		defer mu.Unlock()
		if stopped {
			return false, nil
		}
		return check(objs())
	}
	pre := func(s cache.Store) (bool, error) {
		store = s
		return guarded(s.List)
	}
	// The informer behind UntilWithSync updates its store before it delivers the event.
	rec := record(lw)
	done := make(chan error, 1)
	go func() {
		_, err := watchtools.UntilWithSync(ctx, rec.lw(), objType, pre, func(watch.Event) (bool, error) { return guarded(store.List) })
		done <- err
	}()
	var err error
	select {
	case err = <-done:
	case <-ctx.Done():
		// UntilWithSync then waits for its informer to stop, and a list or watch in flight to a
		// server that went away can outlast the deadline (client-go retries a GET on a reset
		// connection, sleeping without looking at the context): the caller's deadline wins.
		select {
		case err = <-done:
		case <-time.After(shutdownGrace):
			err = ctx.Err()
		}
	}
	mu.Lock()
	stopped = true
	mu.Unlock()
	switch {
	case err == nil:
		return nil
	case errors.Is(ctx.Err(), context.DeadlineExceeded):
		return rec.outage(ErrTimeout)
	case errors.Is(ctx.Err(), context.Canceled):
		return context.Canceled
	}
	return err
}

// Gone waits until the ListerWatcher (usually a SingleObject) lists nothing.
func Gone(ctx context.Context, lw cache.ListerWatcher, objType runtime.Object) error {
	return UntilAll(ctx, lw, objType, func(objs []any) (bool, error) { return len(objs) == 0, nil })
}

// TypedClient is what every typed client-go resource client has (Pods(ns), Deployments(ns),
// ...): L is its list type.
type TypedClient[L runtime.Object] interface {
	List(ctx context.Context, opts metav1.ListOptions) (L, error)
	Watch(ctx context.Context, opts metav1.ListOptions) (watch.Interface, error)
}

// Named is SingleObject for a typed client: Named(cs.AppsV1().Deployments(ns), name).
func Named[L runtime.Object](c TypedClient[L], name string) *cache.ListWatch {
	return SingleObject(func(ctx context.Context, o metav1.ListOptions) (runtime.Object, error) { return c.List(ctx, o) },
		c.Watch, name)
}
