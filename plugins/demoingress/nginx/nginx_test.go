package nginx

import (
	"reflect"
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
