package clitest

import metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

// builtinResources is what the fake's discovery serves unless a test sets its own: the
// built-in kinds the plugins apply and check permissions for (a REST mapper reads them).
func builtinResources() []*metav1.APIResourceList {
	res := func(name, kind string, namespaced bool) metav1.APIResource {
		return metav1.APIResource{Name: name, Kind: kind, Namespaced: namespaced, Verbs: metav1.Verbs{"get", "list", "watch", "create", "update", "patch", "delete"}}
	}
	return []*metav1.APIResourceList{
		{GroupVersion: "v1", APIResources: []metav1.APIResource{res("namespaces", "Namespace", false), res("nodes", "Node", false),
			res("pods", "Pod", true), res("services", "Service", true), res("secrets", "Secret", true), res("configmaps", "ConfigMap", true),
			res("serviceaccounts", "ServiceAccount", true)}},
		{GroupVersion: "apps/v1", APIResources: []metav1.APIResource{res("deployments", "Deployment", true), res("daemonsets", "DaemonSet", true),
			res("replicasets", "ReplicaSet", true), res("statefulsets", "StatefulSet", true)}},
		{GroupVersion: "batch/v1", APIResources: []metav1.APIResource{res("jobs", "Job", true), res("cronjobs", "CronJob", true)}},
		{GroupVersion: "networking.k8s.io/v1", APIResources: []metav1.APIResource{res("ingresses", "Ingress", true), res("ingressclasses", "IngressClass", false)}},
		{GroupVersion: "node.k8s.io/v1", APIResources: []metav1.APIResource{res("runtimeclasses", "RuntimeClass", false)}},
		{GroupVersion: "rbac.authorization.k8s.io/v1", APIResources: []metav1.APIResource{res("roles", "Role", true), res("rolebindings", "RoleBinding", true),
			res("clusterroles", "ClusterRole", false), res("clusterrolebindings", "ClusterRoleBinding", false)}},
	}
}
