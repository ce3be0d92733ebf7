package harness

import (
	"context"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"
)

// UnallocatedIP is a floating IP the LoadBalancerStandIn treats as "not in your project": the
// Service gets no address and a Warning event, as from the OpenStack cloud controller.
const UnallocatedIP = "203.0.113.99"

// ReplacedIP is a floating IP the LoadBalancerStandIn treats as gone from the project: the
// Service silently gets ReplacementIP instead, as cloud-provider-openstack allocates a new
// floating IP when the one asked for cannot be found (pkg/openstack/loadbalancer.go
// getFloatingNetworkIDForLB/ensureFloatingIP: a missing loadBalancerIP is created, not refused).
const (
	ReplacedIP    = "203.0.113.77"
	ReplacementIP = "127.0.0.2"
)

var lostOnce sync.Map

// LoseFloatingIPOnce makes the next load balancer made asking for ip get ReplacementIP instead,
// as when the floating IP is not yet free (still detaching from a deleted load balancer) and the
// cloud controller allocates a new one rather than fail.
func LoseFloatingIPOnce(ip string) { lostOnce.Store(ip, true) }

// LoadBalancerStandIn is a test helper playing what cannot run here: the cloud load balancer
// (OpenStack cloud controller) and the ingress controller's publishService. A LoadBalancer
// Service gets spec.loadBalancerIP, or 127.0.0.1, as its address; an Ingress of class nginx gets
// the address of a controller Service serving that class: ingress-nginx's (namespace
// ingress-nginx) or Traefik's (labelled app.kubernetes.io/name=traefik, whose ingress-nginx
// provider publishes it). An address an Ingress already has from one of them is kept, as
// during a migration both controllers run. It runs until ctx ends.
func LoadBalancerStandIn(ctx context.Context, cs kubernetes.Interface) {
	f := informers.NewSharedInformerFactory(cs, 30*time.Second)
	svcs, ings := f.Core().V1().Services(), f.Networking().V1().Ingresses()
	publish := func() {
		addrs := map[string]bool{}
		addr := ""
		if list, err := svcs.Lister().List(labels.Everything()); err == nil {
			for _, s := range list {
				serves := s.Namespace == "ingress-nginx" || s.Labels["app.kubernetes.io/name"] == "traefik"
				if serves && s.Spec.Type == corev1.ServiceTypeLoadBalancer && len(s.Status.LoadBalancer.Ingress) > 0 {
					a := s.Status.LoadBalancer.Ingress[0].IP
					addrs[a] = true
					if addr == "" || a < addr {
						addr = a
					}
				}
			}
		}
		list, err := ings.Lister().List(labels.Everything())
		if err != nil {
			return
		}
		for _, i := range list {
			if i.Spec.IngressClassName == nil || *i.Spec.IngressClassName != "nginx" {
				continue
			}
			cur := ""
			if len(i.Status.LoadBalancer.Ingress) > 0 {
				cur = i.Status.LoadBalancer.Ingress[0].IP
			}
			if cur == addr || addrs[cur] {
				continue
			}
			i = i.DeepCopy()
			i.Status.LoadBalancer.Ingress = nil
			if addr != "" {
				i.Status.LoadBalancer.Ingress = []networkingv1.IngressLoadBalancerIngress{{IP: addr}}
			}
			_, _ = cs.NetworkingV1().Ingresses(i.Namespace).UpdateStatus(ctx, i, metav1.UpdateOptions{})
		}
	}
	balance := func(obj any) {
		s, ok := obj.(*corev1.Service)
		if !ok || s.Spec.Type != corev1.ServiceTypeLoadBalancer {
			publish()
			return
		}
		want := s.Spec.LoadBalancerIP
		if want == "" {
			want = "127.0.0.1"
		}
		cur := ""
		if len(s.Status.LoadBalancer.Ingress) > 0 {
			cur = s.Status.LoadBalancer.Ingress[0].IP
		}
		if want == ReplacedIP {
			want = ReplacementIP
		}
		if _, lost := lostOnce.Load(want); lost && cur == "" {
			lostOnce.Delete(want)
			want = ReplacementIP
		}
		if cur != "" { // the cloud controller honours loadBalancerIP only when it creates the load balancer (cloud-provider-openstack#2443)
			publish()
			return
		}
		if want == UnallocatedIP {
			_, _ = cs.CoreV1().Events(s.Namespace).Create(ctx, &corev1.Event{
				ObjectMeta:     metav1.ObjectMeta{GenerateName: s.Name + "-", Namespace: s.Namespace},
				InvolvedObject: corev1.ObjectReference{Kind: "Service", Namespace: s.Namespace, Name: s.Name, UID: s.UID, APIVersion: "v1"},
				Reason:         "SyncLoadBalancerFailed", Type: corev1.EventTypeWarning, Source: corev1.EventSource{Component: "service-controller"},
				Message:        "Error syncing load balancer: failed to ensure load balancer: floating IP " + want + " is not available",
				FirstTimestamp: metav1.Now(), LastTimestamp: metav1.Now(), Count: 1,
			}, metav1.CreateOptions{})
			publish()
			return
		}
		s = s.DeepCopy()
		s.Status.LoadBalancer.Ingress = []corev1.LoadBalancerIngress{{IP: want}}
		_, _ = cs.CoreV1().Services(s.Namespace).UpdateStatus(ctx, s, metav1.UpdateOptions{})
	}
	_, _ = svcs.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{AddFunc: balance, UpdateFunc: func(_, n any) { balance(n) }, DeleteFunc: func(any) { publish() }})
	_, _ = ings.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{AddFunc: func(any) { publish() }, UpdateFunc: func(_, _ any) { publish() }})
	f.Start(ctx.Done())
}
