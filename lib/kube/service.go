package kube

import corev1 "k8s.io/api/core/v1"

// LoadBalancerAddress is a LoadBalancer Service's first external address: its IP, else its
// hostname (some clouds publish only one), else "".
func LoadBalancerAddress(s *corev1.Service) string {
	for _, in := range s.Status.LoadBalancer.Ingress {
		if in.IP != "" {
			return in.IP
		}
		if in.Hostname != "" {
			return in.Hostname
		}
	}
	return ""
}
