package helmcmd

import (
	"context"
	"errors"
	"fmt"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/watch"

	"github.com/osc-coco/kubectl-plugins/lib/clierr"
	"github.com/osc-coco/kubectl-plugins/lib/kube"
	"github.com/osc-coco/kubectl-plugins/lib/progress"
	"github.com/osc-coco/kubectl-plugins/lib/waitfor"
	"github.com/osc-coco/kubectl-plugins/plugins/demoingress/controllers"
)

// waitAvailable follows a Deployment until it is Available. For ingress-nginx its pods serve
// the chart's admission webhook (failurePolicy Fail): until one is ready, the API server refuses
// every Ingress, and a deploy right after install would fail.
func waitAvailable(ctx context.Context, c *kube.Clients, spec controllers.Spec, name string, timeout time.Duration, prog *progress.Progress) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	ns := spec.Namespace
	deps := c.Kube.AppsV1().Deployments(ns)
	lw := waitfor.OnClient(c.Kube, waitfor.Named(deps, name))
	step := prog.Start("waiting for the controller Deployment " + name + " to be available")
	err := waitfor.UntilAll(ctx, lw, &appsv1.Deployment{}, func(objs []any) (bool, error) {
		for _, obj := range objs {
			if d, ok := obj.(*appsv1.Deployment); ok && deploymentAvailable(d) {
				return true, nil
			}
		}
		return false, nil
	})
	switch {
	case err == nil:
		step.Done("")
		return nil
	case errors.Is(err, context.Canceled):
		step.Interrupted()
		return &clierr.Error{Code: clierr.CodeInterrupted, Msg: "interrupted while waiting for the controller Deployment", Fix: "the release stays installed; run install again to keep waiting"}
	case errors.Is(err, waitfor.ErrTimeout):
		step.Fail("timed out")
		fix := fmt.Sprintf("kubectl -n %s describe deployment %s shows why", ns, name)
		if spec.Name == controllers.IngressNginx {
			fix += "; until a controller pod is ready the API server refuses Ingresses (admission webhook, failurePolicy Fail)"
		}
		return clierr.Failf(fix, "the controller Deployment %s/%s is not available after %s", ns, name, timeout)
	}
	step.Fail(err.Error())
	return clierr.FromAPI(err, clierr.Action{Verb: "watch", Resource: "deployments.apps", Namespace: ns})
}

func deploymentAvailable(d *appsv1.Deployment) bool {
	for _, cond := range d.Status.Conditions {
		if cond.Type == appsv1.DeploymentAvailable && cond.Status == corev1.ConditionTrue {
			return true
		}
	}
	return false
}

// waitAddress follows the controller's LoadBalancer Service until it has an external address.
func waitAddress(ctx context.Context, c *kube.Clients, spec controllers.Spec, timeout time.Duration, prog *progress.Progress) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	ns := spec.Namespace
	svcs := c.Kube.CoreV1().Services(ns)
	lw := waitfor.OnClient(c.Kube, waitfor.Selected(func(ctx context.Context, o metav1.ListOptions) (runtime.Object, error) { return svcs.List(ctx, o) },
		func(ctx context.Context, o metav1.ListOptions) (watch.Interface, error) { return svcs.Watch(ctx, o) }, "", spec.ServiceSelector))
	step := prog.Start("waiting for the load balancer to give the controller an external address")
	var addr, svcName string
	err := waitfor.UntilAll(ctx, lw, &corev1.Service{}, func(objs []any) (bool, error) {
		for _, obj := range objs {
			s, ok := obj.(*corev1.Service)
			if !ok || s.Spec.Type != corev1.ServiceTypeLoadBalancer {
				continue
			}
			svcName = s.Name
			if a := kube.LoadBalancerAddress(s); a != "" {
				addr = a
				return true, nil
			}
		}
		return false, nil
	})
	switch {
	case err == nil:
		step.Done(addr)
		return addr, nil
	case errors.Is(err, context.Canceled):
		step.Interrupted()
		return "", &clierr.Error{Code: clierr.CodeInterrupted, Msg: "interrupted while waiting for the external address", Fix: "the release stays installed; run install again to keep waiting"}
	case errors.Is(err, waitfor.ErrTimeout):
		step.Fail("timed out")
		return "", noAddress(c, ns, svcName, spec.ServiceSelector, timeout)
	}
	step.Fail(err.Error())
	return "", clierr.FromAPI(err, clierr.Action{Verb: "watch", Resource: "services", Namespace: ns})
}

func noAddress(c *kube.Clients, ns, svcName, selector string, timeout time.Duration) error {
	if svcName == "" {
		return clierr.Failf("kubectl -n "+ns+" get services shows what the chart created", "no LoadBalancer Service of the controller (%s) appeared within %s", selector, timeout)
	}
	why := lastWarning(context.Background(), c, ns, "Service", svcName)
	if why != "" {
		why = "; the cloud controller says: " + why
	}
	return clierr.Failf(fmt.Sprintf("kubectl -n %s describe service %s shows the load balancer's events; on OpenStack check the floating IP quota and that --load-balancer-ip belongs to your project", ns, svcName),
		"service %s has no external address after %s%s", svcName, timeout, why)
}

// lastWarning returns the newest Warning event's message for an object.
func lastWarning(ctx context.Context, c *kube.Clients, ns, kind, name string) string {
	sel := fields.Set{"involvedObject.kind": kind, "involvedObject.name": name, "type": corev1.EventTypeWarning}.AsSelector().String()
	list, err := c.Kube.CoreV1().Events(ns).List(ctx, metav1.ListOptions{FieldSelector: sel})
	if err != nil || len(list.Items) == 0 {
		return ""
	}
	last := list.Items[0]
	for _, e := range list.Items[1:] {
		if eventTime(e).After(eventTime(last)) {
			last = e
		}
	}
	return fmt.Sprintf("%s: %s", last.Reason, last.Message)
}

func eventTime(e corev1.Event) time.Time {
	if !e.LastTimestamp.IsZero() {
		return e.LastTimestamp.Time
	}
	return e.EventTime.Time
}
