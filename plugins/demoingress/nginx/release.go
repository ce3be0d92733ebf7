package nginx

import (
	"regexp"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/osc-coco/kubectl-plugins/lib/apply"
)

func objects(manifest string) []*unstructured.Unstructured {
	objs, _ := apply.Parse([]byte(manifest))
	return objs
}

func controllerObject(manifest, kind string, match func(*unstructured.Unstructured) bool) string {
	for _, o := range objects(manifest) {
		if o.GetKind() == kind && o.GetLabels()["app.kubernetes.io/component"] == "controller" && match(o) {
			return o.GetName()
		}
	}
	return ""
}

// ControllerService is the controller's Service in a release manifest: the chart has two
// labelled app.kubernetes.io/component=controller (controller-service.yaml and the admission
// Service of controller-service-webhook.yaml); the controller's is the LoadBalancer one.
func ControllerService(manifest string) string {
	return controllerObject(manifest, "Service", func(o *unstructured.Unstructured) bool {
		t, _, _ := unstructured.NestedString(o.Object, "spec", "type")
		return t == "LoadBalancer"
	})
}

// ControllerDeployment is the controller's Deployment in a release manifest
// (controller-deployment.yaml; "" with controller.kind DaemonSet).
func ControllerDeployment(manifest string) string {
	return controllerObject(manifest, "Deployment", func(*unstructured.Unstructured) bool { return true })
}

// Webhook is an admission webhook of the release.
type Webhook struct {
	Configuration, Name, FailurePolicy string
}

// Webhooks lists the release's validating webhooks
// (templates/admission-webhooks/validating-webhook.yaml).
func Webhooks(manifest string) []Webhook {
	var out []Webhook
	for _, o := range objects(manifest) {
		if o.GetKind() != "ValidatingWebhookConfiguration" {
			continue
		}
		hooks, _, _ := unstructured.NestedSlice(o.Object, "webhooks")
		for _, h := range hooks {
			m, _ := h.(map[string]any)
			name, _ := m["name"].(string)
			policy, _ := m["failurePolicy"].(string)
			out = append(out, Webhook{Configuration: o.GetName(), Name: name, FailurePolicy: policy})
		}
	}
	return out
}

// failedWebhook matches the API server's message when it cannot call an admission webhook
// (k8s.io/apiserver admission webhook errors: `failed calling webhook "NAME": ...`).
var failedWebhook = regexp.MustCompile(`failed calling webhook "([^"]+)": (.*)`)

// WebhookFailure tells whether err is the API server failing to call an admission webhook,
// and which one and why.
func WebhookFailure(err error) (name, cause string, ok bool) {
	if err == nil {
		return "", "", false
	}
	m := failedWebhook.FindStringSubmatch(err.Error())
	if m == nil {
		return "", "", false
	}
	return m[1], m[2], true
}

// IngressClassKept tells whether a release manifest's IngressClass carries Helm's keep policy
// (helm.sh/resource-policy: keep), so that uninstalling the release leaves it.
func IngressClassKept(manifest string) bool {
	for _, o := range objects(manifest) {
		if o.GetKind() == "IngressClass" && o.GetAnnotations()["helm.sh/resource-policy"] == "keep" {
			return true
		}
	}
	return false
}
