package operator

import (
	"slices"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

func TestCheckVersion(t *testing.T) {
	for _, ok := range []string{"v0.10.0", "v0.17.0"} {
		if err := CheckVersion(ok); err != nil {
			t.Errorf("%s: %v", ok, err)
		}
	}
	for _, bad := range []string{"v0.18.0", "0.10.0", "latest", "v1.0.0"} {
		if err := CheckVersion(bad); err == nil {
			t.Errorf("%s accepted", bad)
		}
	}
}

func TestReadStatus(t *testing.T) {
	u := &unstructured.Unstructured{Object: map[string]any{"status": map[string]any{
		"totalNodesCount": int64(2), "runtimeClass": "kata-qemu, kata-qemu-coco-dev",
		"installationStatus": map[string]any{
			"completed": map[string]any{"completedNodesCount": int64(1), "completedNodesList": []any{"w1"}},
			"failed":    map[string]any{"failedNodesList": []any{map[string]any{"name": "w2", "error": "no kvm"}}},
		}}}}
	s := ReadStatus(u)
	if s.Done() || s.Total != 2 || !slices.Equal(s.RuntimeClasses, []string{"kata-qemu", "kata-qemu-coco-dev"}) || s.Failed[0] != "w2: no kvm" {
		t.Errorf("%+v", s)
	}
	if (Status{}).Done() {
		t.Error("an empty status is done")
	}
}

func TestImageVersion(t *testing.T) {
	for ref, want := range map[string]string{
		"quay.io/confidential-containers/operator:v0.10.0":                     "v0.10.0",
		"registry.internal:5000/coco/operator:v0.17.0":                         "v0.17.0",
		"registry.internal:5000/coco/operator":                                 "",
		"quay.io/confidential-containers/operator@sha256:0123456789abcdef0123": "sha256:0123456789ab",
		"quay.io/confidential-containers/operator:v0.10.0@sha256:0123456789ab": "v0.10.0",
		"operator": "",
	} {
		if got := ImageVersion(ref); got != want {
			t.Errorf("ImageVersion(%q) = %q, want %q", ref, got, want)
		}
	}
}
