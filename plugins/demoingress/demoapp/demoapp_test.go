package demoapp

import (
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

func opts() Options {
	return Options{Image: DefaultImage, Path: DefaultPath, Replicas: 1}
}

func TestGuideObjects(t *testing.T) {
	objs, err := Objects(opts())
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, o := range objs {
		got = append(got, o.GetKind()+"/"+o.GetNamespace()+"/"+o.GetName())
	}
	if strings.Join(got, " ") != "Namespace//demo Deployment/demo/web Service/demo/web Ingress/demo/demo-ip-ingress" {
		t.Fatal(got)
	}
	ing := objs[3]
	paths, _, _ := unstructured.NestedSlice(ing.Object, "spec", "rules")
	rule := paths[0].(map[string]any)
	p := rule["http"].(map[string]any)["paths"].([]any)[0].(map[string]any)
	if p["path"] != "/demo" || p["pathType"] != "Prefix" || p["backend"].(map[string]any)["service"].(map[string]any)["name"] != "web" {
		t.Fatalf("ingress path %v", p)
	}
	if c, _, _ := unstructured.NestedString(ing.Object, "spec", "ingressClassName"); c != "nginx" {
		t.Fatal(c)
	}
	if _, has := rule["host"]; has {
		t.Fatal("a host rule without --host")
	}
	args, _, _ := unstructured.NestedSlice(objs[1].Object, "spec", "template", "spec", "containers")
	c := args[0].(map[string]any)
	if c["image"] != DefaultImage || c["args"].([]any)[0] != "-listen=:5678" {
		t.Fatalf("container %v", c)
	}
	if _, has, _ := unstructured.NestedFieldNoCopy(objs[1].Object, "metadata", "creationTimestamp"); has {
		t.Fatal("creationTimestamp in a manifest")
	}
}

func TestGatewayObjects(t *testing.T) {
	o := opts()
	o.Gateway, o.GatewayClass, o.Host = true, "eg", "demo.example.org"
	objs, err := Objects(o)
	if err != nil {
		t.Fatal(err)
	}
	if len(objs) != 5 || objs[3].GetKind() != "Gateway" || objs[4].GetKind() != "HTTPRoute" || objs[4].GetAPIVersion() != "gateway.networking.k8s.io/v1" {
		t.Fatal(objs)
	}
	if h, _, _ := unstructured.NestedStringSlice(objs[4].Object, "spec", "hostnames"); len(h) != 1 || h[0] != "demo.example.org" {
		t.Fatal(h)
	}
	if c, _, _ := unstructured.NestedString(objs[3].Object, "spec", "gatewayClassName"); c != "eg" {
		t.Fatal(c)
	}
}

func TestValidate(t *testing.T) {
	for name, change := range map[string]func(*Options){
		"relative path": func(o *Options) { o.Path = "demo" },
		"space in path": func(o *Options) { o.Path = "/de mo" },
		"ip host":       func(o *Options) { o.Host = "160.44.12.35" },
		"bad host":      func(o *Options) { o.Host = "demo_app.example" },
		"bad image":     func(o *Options) { o.Image = "web server" },
		"replicas":      func(o *Options) { o.Replicas = 0 },
	} {
		o := opts()
		change(&o)
		if _, err := Objects(o); err == nil {
			t.Errorf("%s accepted", name)
		}
	}
}
