package cmd

import (
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// Route is the demo's route as verify reads it, for status (in helmcmd) to show.
type Route struct{ Name, Host, Path, Address, Why string }

func exported(rt route) Route {
	return Route{Name: rt.name, Host: rt.host, Path: rt.path, Address: rt.addr, Why: rt.why}
}

// IngressRoute is the demo Ingress's route: its first rule's host and path, and its address.
func IngressRoute(i *networkingv1.Ingress) Route { return exported(ingressRoute(i)) }

// GatewayRoute is the demo Gateway's route: its address, or why it has none yet.
func GatewayRoute(u *unstructured.Unstructured) Route { return exported(gatewayRoute(u)) }

// HTTPRouteMatch is the host and path prefix an HTTPRoute's first rule matches.
func HTTPRouteMatch(hr *unstructured.Unstructured) (host, path string) { return httpRouteMatch(hr) }
