package cmd

import (
	"context"
	"errors"
	"fmt"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/osc-coco/kubectl-plugins/lib/clierr"
	"github.com/osc-coco/kubectl-plugins/lib/kube"
	"github.com/osc-coco/kubectl-plugins/lib/progress"
	"github.com/osc-coco/kubectl-plugins/lib/waitfor"
	"github.com/osc-coco/kubectl-plugins/plugins/demoingress/demoapp"
)

// waitRoute finds the Ingress (or else the Gateway) and follows it with a watch until it has an
// address or ctx ends; a route without address is reported as a failed hop, not an error.
func (o *VerifyOptions) waitRoute(ctx context.Context, c *kube.Clients, prog *progress.Progress) (route, error) {
	ings := c.Kube.NetworkingV1().Ingresses(demoapp.Namespace)
	ing, err := ings.Get(ctx, demoapp.IngressName, metav1.GetOptions{})
	switch {
	case err == nil:
		rt := ingressRoute(ing)
		if rt.addr != "" {
			return rt, nil
		}
		step := prog.Start("waiting for ingress " + demoapp.IngressName + " to get an address")
		lw := waitfor.OnClient(c.Kube, waitfor.Named(ings, demoapp.IngressName))
		werr := waitfor.UntilAll(ctx, lw, &networkingv1.Ingress{}, func(objs []any) (bool, error) {
			for _, obj := range objs {
				if i, ok := obj.(*networkingv1.Ingress); ok {
					rt = ingressRoute(i)
				}
			}
			return rt.addr != "", nil
		})
		return rt, endStep(step, werr, rt.addr)
	case apierrors.IsNotFound(err):
		return o.gatewayRoute(ctx, c, prog)
	case errors.Is(err, context.Canceled):
		return route{}, clierr.ErrInterrupted
	}
	return route{}, clierr.FromAPI(err, clierr.Action{Verb: "get", Resource: "ingresses.networking.k8s.io", Namespace: demoapp.Namespace, Name: demoapp.IngressName})
}

func ingressRoute(i *networkingv1.Ingress) route {
	rt := route{kind: "ingress", name: i.Name, exists: true, path: demoapp.DefaultPath}
	if len(i.Spec.Rules) > 0 {
		rt.host = i.Spec.Rules[0].Host
		if h := i.Spec.Rules[0].HTTP; h != nil && len(h.Paths) > 0 {
			rt.path = h.Paths[0].Path
		}
	}
	for _, in := range i.Status.LoadBalancer.Ingress {
		if in.IP != "" {
			rt.addr = in.IP
			break
		}
		if in.Hostname != "" {
			rt.addr = in.Hostname
			break
		}
	}
	return rt
}

func (o *VerifyOptions) gatewayRoute(ctx context.Context, c *kube.Clients, prog *progress.Progress) (route, error) {
	missing := route{kind: "ingress", name: demoapp.IngressName}
	dyn := c.Dynamic
	gws := dyn.Resource(GatewayGV.WithResource("gateways")).Namespace(demoapp.Namespace)
	gw, err := gws.Get(ctx, demoapp.GatewayName, metav1.GetOptions{})
	if apierrors.IsNotFound(err) || meta.IsNoMatchError(err) {
		return missing, nil // neither an Ingress nor a Gateway: the route hop says "deploy"
	}
	if err != nil {
		return missing, clierr.FromAPI(err, clierr.Action{Verb: "get", Resource: "gateways.gateway.networking.k8s.io", Namespace: demoapp.Namespace, Name: demoapp.GatewayName})
	}
	rt := gatewayRoute(gw)
	hr, err := dyn.Resource(GatewayGV.WithResource("httproutes")).Namespace(demoapp.Namespace).Get(ctx, demoapp.RouteName, metav1.GetOptions{})
	switch {
	case err == nil:
		if host, path := httpRouteMatch(hr); path != "" {
			rt.host, rt.path = host, path
		}
	case !apierrors.IsNotFound(err):
		return missing, clierr.FromAPI(err, clierr.Action{Verb: "get", Resource: "httproutes.gateway.networking.k8s.io", Namespace: demoapp.Namespace, Name: demoapp.RouteName})
	}
	if rt.addr != "" {
		return rt, nil
	}
	step := prog.Start("waiting for gateway " + demoapp.GatewayName + " to get an address")
	lw := waitfor.OnClient(dyn, waitfor.Named(gws, demoapp.GatewayName))
	werr := waitfor.UntilAll(ctx, lw, &unstructured.Unstructured{}, func(objs []any) (bool, error) {
		for _, obj := range objs {
			if u, ok := obj.(*unstructured.Unstructured); ok {
				path, host := rt.path, rt.host
				rt = gatewayRoute(u)
				rt.path, rt.host = path, host
			}
		}
		return rt.addr != "", nil
	})
	return rt, endStep(step, werr, rt.addr)
}

// httpRouteMatch reads the first hostname and the first rule's first path of an HTTPRoute.
func httpRouteMatch(hr *unstructured.Unstructured) (host, path string) {
	if hs, _, _ := unstructured.NestedStringSlice(hr.Object, "spec", "hostnames"); len(hs) > 0 {
		host = hs[0]
	}
	rules, _, _ := unstructured.NestedSlice(hr.Object, "spec", "rules")
	if len(rules) == 0 {
		return host, ""
	}
	rule, _ := rules[0].(map[string]any)
	matches, _, _ := unstructured.NestedSlice(rule, "matches")
	if len(matches) == 0 {
		return host, ""
	}
	match, _ := matches[0].(map[string]any)
	path, _, _ = unstructured.NestedString(match, "path", "value")
	return host, path
}

// gatewayAccepted is "" when the Gateway's Accepted condition is True, else that condition
// (Gateway API: a Gateway no controller has taken is Accepted=Unknown, reason Pending, "Waiting for controller").
func gatewayAccepted(u *unstructured.Unstructured) string {
	conds, _, _ := unstructured.NestedSlice(u.Object, "status", "conditions")
	for _, c := range conds {
		m, _ := c.(map[string]any)
		if m["type"] != "Accepted" {
			continue
		}
		if m["status"] == "True" {
			return ""
		}
		return fmt.Sprintf("Accepted=%v %v: %v", m["status"], m["reason"], m["message"])
	}
	return "no Accepted condition: no Gateway controller has seen it"
}

func gatewayRoute(u *unstructured.Unstructured) route {
	rt := route{kind: "gateway", name: u.GetName(), exists: true, path: demoapp.DefaultPath, why: gatewayAccepted(u)}
	addrs, _, _ := unstructured.NestedSlice(u.Object, "status", "addresses")
	for _, a := range addrs {
		if m, ok := a.(map[string]any); ok {
			if v, _ := m["value"].(string); v != "" {
				rt.addr = v
				break
			}
		}
	}
	return rt
}

// waitDeployment follows deployment web until a replica is available or ctx ends, then lists
// its pods (for the reasons when it is not).
func (o *VerifyOptions) waitDeployment(ctx context.Context, c *kube.Clients, prog *progress.Progress) (*appsv1.Deployment, []corev1.Pod, error) {
	deps := c.Kube.AppsV1().Deployments(demoapp.Namespace)
	var dep *appsv1.Deployment
	if ctx.Err() == nil {
		step := prog.Start("waiting for deployment " + demoapp.App + " to be available")
		lw := waitfor.OnClient(c.Kube, waitfor.Named(deps, demoapp.App))
		werr := waitfor.UntilAll(ctx, lw, &appsv1.Deployment{}, func(objs []any) (bool, error) {
			dep = nil
			for _, obj := range objs {
				if d, ok := obj.(*appsv1.Deployment); ok {
					dep = d
				}
			}
			return dep == nil || dep.Status.AvailableReplicas >= 1, nil
		})
		avail := ""
		if dep != nil && dep.Status.AvailableReplicas >= 1 {
			avail = "available"
		}
		if err := endStep(step, werr, avail); err != nil {
			return nil, nil, err
		}
	}
	bg := context.WithoutCancel(ctx)
	if dep == nil {
		d, err := deps.Get(bg, demoapp.App, metav1.GetOptions{})
		if err != nil && !apierrors.IsNotFound(err) {
			return nil, nil, clierr.FromAPI(err, clierr.Action{Verb: "get", Resource: "deployments.apps", Namespace: demoapp.Namespace, Name: demoapp.App})
		}
		if err == nil {
			dep = d
		}
	}
	pods, err := c.Kube.CoreV1().Pods(demoapp.Namespace).List(bg, metav1.ListOptions{LabelSelector: labels.SelectorFromSet(demoapp.Selector()).String()})
	if err != nil {
		return dep, nil, clierr.FromAPI(err, clierr.Action{Verb: "list", Resource: "pods", Namespace: demoapp.Namespace})
	}
	return dep, pods.Items, nil
}

// endStep closes a progress step: a deadline is not an error here (the hop reports it), an
// interrupt is.
func endStep(step *progress.Step, err error, result string) error {
	switch {
	case err == nil && result != "":
		step.Done(result)
	case err == nil, errors.Is(err, waitfor.ErrTimeout):
		step.Fail("not yet")
	case errors.Is(err, context.Canceled):
		step.Interrupted()
		return clierr.ErrInterrupted
	default:
		step.Fail(err.Error())
		return fmt.Errorf("watching: %w", err)
	}
	return nil
}
