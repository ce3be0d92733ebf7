package kube

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
)

func TestLoadBalancerAddress(t *testing.T) {
	svc := func(ins ...corev1.LoadBalancerIngress) *corev1.Service {
		s := &corev1.Service{}
		s.Status.LoadBalancer.Ingress = ins
		return s
	}
	for want, s := range map[string]*corev1.Service{
		"":               svc(),
		"160.44.12.35":   svc(corev1.LoadBalancerIngress{IP: "160.44.12.35", Hostname: "lb.example.com"}),
		"lb.example.com": svc(corev1.LoadBalancerIngress{Hostname: "lb.example.com"}),
		"160.44.12.36":   svc(corev1.LoadBalancerIngress{}, corev1.LoadBalancerIngress{IP: "160.44.12.36"}),
	} {
		if got := LoadBalancerAddress(s); got != want {
			t.Errorf("got %q, want %q", got, want)
		}
	}
}
