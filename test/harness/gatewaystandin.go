package harness

import (
	"context"
	"fmt"
	"hash/fnv"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/dynamic/dynamicinformer"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"
)

// Gateway API and Envoy Gateway resources the GatewayStandIn follows.
var (
	gwClasses   = schema.GroupVersionResource{Group: "gateway.networking.k8s.io", Version: "v1", Resource: "gatewayclasses"}
	gwGateways  = schema.GroupVersionResource{Group: "gateway.networking.k8s.io", Version: "v1", Resource: "gateways"}
	envoyProxys = schema.GroupVersionResource{Group: "gateway.envoyproxy.io", Version: "v1alpha1", Resource: "envoyproxies"}
)

// GatewayStandIn is a test helper playing the two Gateway controllers whose images cannot run
// here, as far as kubectl demoingress depends on them:
//   - Traefik v3.7 (controllerName traefik.io/gateway-controller): a listener must use an entry
//     point's port (8000 or 8443 in traefik-helm-chart 41.3.0; pkg/provider/kubernetes/gateway
//     marks other listeners PortUnavailable and the Gateway not Programmed); the Gateway's
//     address is the Traefik Service's (--providers.kubernetesgateway.statusaddress.service).
//   - Envoy Gateway v1.9.0 (gateway.envoyproxy.io/gatewayclass-controller): per Gateway an Envoy
//     LoadBalancer Service in the controller's namespace, labelled as
//     internal/infrastructure/kubernetes/proxy/resource.go labels it, with the EnvoyProxy's
//     envoyService loadBalancerIP and annotations (GatewayClass parametersRef); the Gateway's
//     address is that Service's.
//
// The LoadBalancerStandIn gives the Services their addresses. Classes of other controllers are
// left alone. It runs until ctx ends; it reads everything at every event, which is fine at the
// handful of objects a test makes.
func GatewayStandIn(ctx context.Context, cs kubernetes.Interface, dyn dynamic.Interface) {
	f := dynamicinformer.NewDynamicSharedInformerFactory(dyn, 30*time.Second)
	s := &gatewayStandIn{cs: cs, dyn: dyn}
	h := cache.ResourceEventHandlerFuncs{AddFunc: func(any) { s.sync(ctx) }, UpdateFunc: func(_, _ any) { s.sync(ctx) }}
	for _, r := range []schema.GroupVersionResource{gwClasses, gwGateways} {
		_, _ = f.ForResource(r).Informer().AddEventHandler(h)
	}
	go func() { // the Services' addresses arrive from the LoadBalancerStandIn
		w, err := cs.CoreV1().Services("").Watch(ctx, metav1.ListOptions{})
		if err != nil {
			return
		}
		defer w.Stop()
		for range w.ResultChan() {
			s.sync(ctx)
		}
	}()
	f.Start(ctx.Done())
}

type gatewayStandIn struct {
	cs  kubernetes.Interface
	dyn dynamic.Interface
}

func (s *gatewayStandIn) sync(ctx context.Context) {
	classes, err := s.dyn.Resource(gwClasses).List(ctx, metav1.ListOptions{})
	if err != nil {
		return
	}
	controllerOf := map[string]*unstructured.Unstructured{}
	for i := range classes.Items {
		c := &classes.Items[i]
		ctrl, _, _ := unstructured.NestedString(c.Object, "spec", "controllerName")
		if ctrl == "traefik.io/gateway-controller" || ctrl == "gateway.envoyproxy.io/gatewayclass-controller" {
			controllerOf[c.GetName()] = c
			s.setConditions(ctx, s.dyn.Resource(gwClasses), c, true, "Accepted", "")
		}
	}
	gws, err := s.dyn.Resource(gwGateways).List(ctx, metav1.ListOptions{})
	if err != nil {
		return
	}
	for i := range gws.Items {
		gw := &gws.Items[i]
		className, _, _ := unstructured.NestedString(gw.Object, "spec", "gatewayClassName")
		class := controllerOf[className]
		if class == nil {
			continue
		}
		ctrl, _, _ := unstructured.NestedString(class.Object, "spec", "controllerName")
		var addr, problem string
		if ctrl == "traefik.io/gateway-controller" {
			addr, problem = s.traefik(ctx, gw)
		} else {
			addr, problem = s.envoy(ctx, gw, class)
		}
		s.publish(ctx, gw, addr, problem)
	}
}

// traefik checks the listeners against the entry points and returns the Traefik Service's address.
func (s *gatewayStandIn) traefik(ctx context.Context, gw *unstructured.Unstructured) (string, string) {
	listeners, _, _ := unstructured.NestedSlice(gw.Object, "spec", "listeners")
	for _, l := range listeners {
		m, _ := l.(map[string]any)
		if p, _ := m["port"].(int64); p != 8000 && p != 8443 {
			return "", fmt.Sprintf("listener %v: port %d is not the port of an entry point (PortUnavailable)", m["name"], p)
		}
	}
	svcs, err := s.cs.CoreV1().Services("").List(ctx, metav1.ListOptions{LabelSelector: "app.kubernetes.io/name=traefik"})
	if err != nil {
		return "", ""
	}
	for _, svc := range svcs.Items {
		if len(svc.Status.LoadBalancer.Ingress) > 0 {
			return svc.Status.LoadBalancer.Ingress[0].IP, ""
		}
	}
	return "", ""
}

// envoy makes the Gateway's Envoy Service (if absent) and returns its address.
func (s *gatewayStandIn) envoy(ctx context.Context, gw, class *unstructured.Unstructured) (string, string) {
	const ns = "envoy-gateway-system"
	ref, _, _ := unstructured.NestedStringMap(class.Object, "spec", "parametersRef")
	svcSpec := map[string]any{}
	if ref["kind"] == "EnvoyProxy" {
		if p, err := s.dyn.Resource(envoyProxys).Namespace(ref["namespace"]).Get(ctx, ref["name"], metav1.GetOptions{}); err == nil {
			svcSpec, _, _ = unstructured.NestedMap(p.Object, "spec", "provider", "kubernetes", "envoyService")
		}
	}
	h := fnv.New32a()
	_, _ = h.Write([]byte(gw.GetNamespace() + "/" + gw.GetName()))
	name := fmt.Sprintf("envoy-%s-%s-%08x", gw.GetNamespace(), gw.GetName(), h.Sum32())
	svc, err := s.cs.CoreV1().Services(ns).Get(ctx, name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		ip, _ := svcSpec["loadBalancerIP"].(string)
		ann := map[string]string{}
		if a, ok := svcSpec["annotations"].(map[string]any); ok {
			for k, v := range a {
				ann[k], _ = v.(string)
			}
		}
		svc = &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns, Annotations: ann, Labels: map[string]string{
			"app.kubernetes.io/name": "envoy", "app.kubernetes.io/component": "proxy", "app.kubernetes.io/managed-by": "envoy-gateway",
			"gateway.envoyproxy.io/owning-gateway-name": gw.GetName(), "gateway.envoyproxy.io/owning-gateway-namespace": gw.GetNamespace()}},
			Spec: corev1.ServiceSpec{Type: corev1.ServiceTypeLoadBalancer, LoadBalancerIP: ip, Selector: map[string]string{"app.kubernetes.io/name": "envoy"},
				Ports: []corev1.ServicePort{{Name: "http", Port: 80}}}}
		if svc, err = s.cs.CoreV1().Services(ns).Create(ctx, svc, metav1.CreateOptions{}); err != nil {
			return "", ""
		}
	} else if err != nil {
		return "", ""
	}
	if len(svc.Status.LoadBalancer.Ingress) > 0 {
		return svc.Status.LoadBalancer.Ingress[0].IP, ""
	}
	return "", ""
}

// publish writes the Gateway's status: Accepted, Programmed (or why not) and the address.
func (s *gatewayStandIn) publish(ctx context.Context, gw *unstructured.Unstructured, addr, problem string) {
	gw = gw.DeepCopy()
	var addrs []any
	if addr != "" {
		addrs = []any{map[string]any{"type": "IPAddress", "value": addr}}
	}
	old, _, _ := unstructured.NestedSlice(gw.Object, "status", "addresses")
	if fmt.Sprint(old) == fmt.Sprint(addrs) && hasCondition(gw, "Programmed", problem == "" && addr != "") {
		return
	}
	_ = unstructured.SetNestedSlice(gw.Object, addrs, "status", "addresses")
	s.setConditions(ctx, s.dyn.Resource(gwGateways).Namespace(gw.GetNamespace()), gw, problem == "" && addr != "", "Programmed", problem)
}

func hasCondition(obj *unstructured.Unstructured, typ string, status bool) bool {
	conds, _, _ := unstructured.NestedSlice(obj.Object, "status", "conditions")
	want := "False"
	if status {
		want = "True"
	}
	for _, c := range conds {
		m, _ := c.(map[string]any)
		if m["type"] == typ && m["status"] == want {
			return true
		}
	}
	return false
}

// setConditions writes Accepted=True (and for Gateways Programmed) with the message of a problem.
func (s *gatewayStandIn) setConditions(ctx context.Context, ri dynamic.ResourceInterface, obj *unstructured.Unstructured, ok bool, typ, problem string) {
	if typ == "Accepted" && hasCondition(obj, "Accepted", true) {
		return
	}
	now := metav1.Now().UTC().Format(time.RFC3339)
	status, reason, msg := "True", typ, "played by the test's GatewayStandIn"
	if !ok {
		status, reason, msg = "False", "Invalid", problem
		if problem == "" {
			reason, msg = "AddressNotAssigned", "no address yet"
		}
	}
	conds := []any{map[string]any{"type": "Accepted", "status": "True", "reason": "Accepted", "message": "played by the test's GatewayStandIn", "lastTransitionTime": now, "observedGeneration": obj.GetGeneration()}}
	if typ != "Accepted" {
		conds = append(conds, map[string]any{"type": typ, "status": status, "reason": reason, "message": msg, "lastTransitionTime": now, "observedGeneration": obj.GetGeneration()})
	}
	obj = obj.DeepCopy()
	_ = unstructured.SetNestedSlice(obj.Object, conds, "status", "conditions")
	_, _ = ri.UpdateStatus(ctx, obj, metav1.UpdateOptions{})
}
