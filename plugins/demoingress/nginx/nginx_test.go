package nginx

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestValues(t *testing.T) {
	got := Values(Options{})
	want := map[string]any{"controller": map[string]any{"publishService": map[string]any{"enabled": true}}}
	if !reflect.DeepEqual(got, want) {
		t.Fatal(got)
	}
	got = Values(Options{LoadBalancerIP: "160.44.12.35", KeepFloatingIP: true})
	svc := got["controller"].(map[string]any)["service"].(map[string]any)
	if svc["loadBalancerIP"] != "160.44.12.35" || svc["annotations"].(map[string]any)[KeepFloatingIP] != "true" {
		t.Fatal(got)
	}
}

func TestValidateIP(t *testing.T) {
	for ip, ok := range map[string]bool{"": true, "160.44.12.35": true, "2001:db8::1": true, "160.44.12": false, "0.0.0.0": false, "a.b.c.d": false, "224.0.0.1": false} {
		if err := ValidateIP(ip); (err == nil) != ok {
			t.Errorf("%q: %v", ip, err)
		}
	}
}

// A manifest shaped as ingress-nginx 4.15.1 renders it: the admission Service first.
const releaseManifest = `---
apiVersion: v1
kind: Service
metadata:
  name: ingress-nginx-controller-admission
  labels: {app.kubernetes.io/component: controller}
spec: {type: ClusterIP}
---
apiVersion: v1
kind: Service
metadata:
  name: ingress-nginx-controller
  labels: {app.kubernetes.io/component: controller}
spec: {type: LoadBalancer}
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: ingress-nginx-controller
  labels: {app.kubernetes.io/component: controller}
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingWebhookConfiguration
metadata: {name: ingress-nginx-admission}
webhooks:
- {name: validate.nginx.ingress.kubernetes.io, failurePolicy: Fail}
`

func TestReleaseObjects(t *testing.T) {
	if got := ControllerService(releaseManifest); got != "ingress-nginx-controller" {
		t.Errorf("service %q", got)
	}
	if got := ControllerDeployment(releaseManifest); got != "ingress-nginx-controller" {
		t.Errorf("deployment %q", got)
	}
	if got := Webhooks(releaseManifest); len(got) != 1 || got[0] != (Webhook{"ingress-nginx-admission", "validate.nginx.ingress.kubernetes.io", "Fail"}) {
		t.Errorf("webhooks %+v", got)
	}
	if ControllerService("") != "" || Webhooks("not: [yaml") != nil {
		t.Error("empty manifest")
	}
}

func TestWebhookFailure(t *testing.T) {
	err := errors.New(`Internal error occurred: failed calling webhook "validate.nginx.ingress.kubernetes.io": failed to call webhook: Post "https://ingress-nginx-controller-admission.ingress-nginx.svc:443/networking/v1/ingresses?timeout=10s": context deadline exceeded`)
	name, cause, ok := WebhookFailure(err)
	if !ok || name != "validate.nginx.ingress.kubernetes.io" || !strings.HasSuffix(cause, "context deadline exceeded") {
		t.Errorf("%q %q %v", name, cause, ok)
	}
	if _, _, ok := WebhookFailure(errors.New("namespaces \"demo\" not found")); ok {
		t.Error("not a webhook failure")
	}
}
