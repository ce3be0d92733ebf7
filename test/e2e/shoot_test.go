package e2e

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestShootBinary(t *testing.T) {
	r := plugin(t, "shoot", nil, "version", "-o", "json")
	var v struct{ Plugin, Version string }
	if r.code != 0 || json.Unmarshal([]byte(r.stdout), &v) != nil || v.Version != TestVersion {
		t.Fatalf("version: %d %s %s", r.code, r.stdout, r.stderr)
	}
	home := t.TempDir()
	r = plugin(t, "shoot", []string{"GCTL_HOME=" + home}, "list")
	if r.code != 1 || !strings.Contains(r.stderr, "no garden is configured: "+home+"/gardenctl-v2.yaml does not exist") {
		t.Fatalf("no garden config: %d %s", r.code, r.stderr)
	}
	// A kubeconfig of a cluster that is not a garden (here: the plain test control plane).
	r = plugin(t, "shoot", []string{"GCTL_HOME=" + home}, "--kubeconfig", cp.AdminKubeconfig, "list", "-p", "eco")
	if r.code != 1 || !strings.Contains(r.stderr, "is not a Gardener garden") {
		t.Fatalf("not a garden: %d %s", r.code, r.stderr)
	}
	r = plugin(t, "shoot", nil, "create", "x", "--bogus")
	if r.code != 2 || !strings.Contains(r.stderr, "unknown flag: --bogus") {
		t.Fatalf("bad flag: %d %s", r.code, r.stderr)
	}
}
