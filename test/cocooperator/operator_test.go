// Package cocooperator installs CoCo the guide's way (--method operator): the kustomize API
// builds the manifests from a source archive of ours served on loopback, they are applied
// server-side to a real kube-apiserver with kwok nodes, and a test helper plays the operator's
// controller.
package cocooperator

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/dynamic"

	"github.com/osc-coco/kubectl-plugins/lib/tee"
	"github.com/osc-coco/kubectl-plugins/plugins/coco/cmd/helmcmd"
	"github.com/osc-coco/kubectl-plugins/plugins/coco/cocostatus"
	"github.com/osc-coco/kubectl-plugins/test/harness"
)

var (
	cp     *harness.ControlPlane
	source string
)

func TestMain(m *testing.M) { os.Exit(runMain(m)) }

func runMain(m *testing.M) int {
	root, err := harness.RepoRoot()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	archive, err := tarGz(filepath.Join(root, "test", "fixtures", "operator-src"), "operator-0.10.0")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/archive/refs/tags/v0.10.0.tar.gz" {
			http.NotFound(w, r)
			return
		}
		_, _ = w.Write(archive)
	}))
	defer srv.Close()
	source = srv.URL + "/archive/refs/tags/v0.10.0.tar.gz"
	return harness.Main(m, &cp, func(ctx context.Context, cp *harness.ControlPlane) error {
		if err := cp.AddNodes(ctx,
			harness.Node{Name: "w1", Labels: map[string]string{tee.WorkerLabel: ""}},
			harness.Node{Name: "w2", Labels: map[string]string{tee.WorkerLabel: ""}},
			harness.Node{Name: "cp1"}); err != nil {
			return err
		}
		harness.OperatorStandIn(ctx, cp.Admin, dynamic.NewForConfigOrDie(cp.AdminConfig))
		return nil
	})
}

// tarGz packs dir under a top folder, as GitHub's tag archives are.
func tarGz(dir, top string) ([]byte, error) {
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if err := tw.WriteHeader(&tar.Header{Name: top + "/" + rel, Mode: 0o644, Size: int64(len(data)), Typeflag: tar.TypeReg}); err != nil {
			return err
		}
		_, err = tw.Write(data)
		return err
	})
	if err != nil {
		return nil, err
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	if err := gz.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func coco(args ...string) harness.Result {
	return harness.Run(context.Background(), helmcmd.NewRoot, cp.AdminKubeconfig, args...)
}

func TestOperatorInstallAndUninstall(t *testing.T) {
	op := []string{"install", "--method", "operator", "--version", "v0.10.0", "--source", source, "--timeout", "1m"}
	// No sample for SGX in this source: a clear error, nothing applied.
	res := coco(append(op, "--platform", "sgx")...)
	if res.Code != 1 || !strings.Contains(res.Stderr, "no CcRuntime sample for platform sgx") {
		t.Fatalf("sgx: exit %d %q", res.Code, res.Stderr)
	}
	if _, err := cp.Admin.CoreV1().Namespaces().Get(context.Background(), "confidential-containers-system", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Fatal("a failed install created the operator namespace")
	}
	res = coco(append(op, "--dry-run")...)
	if res.Code != 0 || !strings.Contains(res.Stdout, "name: cc-operator-controller-manager") || !strings.Contains(res.Stdout, "kind: CcRuntime") ||
		!strings.Contains(res.Stdout, "quay.io/confidential-containers/operator:v0.10.0") {
		t.Fatalf("dry run: exit %d %q\n%s", res.Code, res.Stderr, res.Stdout)
	}

	res = coco(append(op, "-o", "json")...)
	if res.Code != 0 {
		t.Fatalf("install: exit %d\n%s", res.Code, res.Stderr)
	}
	var r helmcmd.InstallResult
	if err := json.Unmarshal([]byte(res.Stdout), &r); err != nil {
		t.Fatal(err)
	}
	if r.Outcome != "installed" || r.Release != "ccruntime/ccruntime-sample" || strings.Join(r.Nodes, ",") != "w1,w2" ||
		strings.Join(r.RuntimeClasses, ",") != "kata-qemu,kata-qemu-coco-dev" {
		t.Errorf("result %+v", r)
	}
	res = coco(op...)
	if res.Code != 0 || !strings.Contains(res.Stdout, "already installed: nothing changed") {
		t.Errorf("re-install: exit %d %q\n%s", res.Code, res.Stderr, res.Stdout)
	}

	res = coco("status", "-o", "json")
	var st cocostatus.Report
	if err := json.Unmarshal([]byte(res.Stdout), &st); err != nil || res.Code != 0 {
		t.Fatalf("status: exit %d %v %s", res.Code, err, res.Stderr)
	}
	if st.Method != "operator" || st.Version != "v0.10.0" || !st.Healthy || len(st.Nodes) != 2 || st.Release != "ccruntime/ccruntime-sample" {
		t.Errorf("status %+v", st)
	}

	res = coco("uninstall", "--dry-run")
	if res.Code != 0 || !strings.Contains(res.Stdout, "would delete CcRuntime(s) ccruntime-sample") {
		t.Errorf("uninstall dry run: exit %d %q %q", res.Code, res.Stdout, res.Stderr)
	}
	res = coco("uninstall", "--timeout", "1m")
	if res.Code != 0 || !strings.Contains(res.Stdout, "CoCo operator uninstalled") {
		t.Fatalf("uninstall: exit %d %q %q", res.Code, res.Stdout, res.Stderr)
	}
	if rcs, _ := cp.Admin.NodeV1().RuntimeClasses().List(context.Background(), metav1.ListOptions{}); len(rcs.Items) != 0 {
		t.Errorf("%d runtime classes left", len(rcs.Items))
	}
	if _, err := cp.Admin.RbacV1().ClusterRoles().Get(context.Background(), "cc-operator-manager-role", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("operator cluster role left: %v", err)
	}
	res = coco("uninstall")
	if res.Code != 0 || !strings.Contains(res.Stdout, "nothing to do") {
		t.Errorf("second uninstall: exit %d %q %q", res.Code, res.Stdout, res.Stderr)
	}
}

// A source (a local folder here) whose release lacks the CcRuntime CRD is refused before
// anything is applied.
func TestOperatorSourceWithoutCRDAppliesNothing(t *testing.T) {
	root, _ := harness.RepoRoot()
	dir := t.TempDir()
	if err := os.CopyFS(dir, os.DirFS(filepath.Join(root, "test", "fixtures", "operator-src"))); err != nil {
		t.Fatal(err)
	}
	kust := filepath.Join(dir, "config", "default", "kustomization.yaml")
	data, _ := os.ReadFile(kust)
	if err := os.WriteFile(kust, []byte(strings.Replace(string(data), "- ../crd\n", "", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	res := coco("install", "--method", "operator", "--version", "v0.10.0", "--source", dir, "--timeout", "30s")
	if res.Code != 1 || !strings.Contains(res.Stderr, "do not define the CRD ccruntimes.confidentialcontainers.org") {
		t.Fatalf("exit %d %q", res.Code, res.Stderr)
	}
	if _, err := cp.Admin.RbacV1().ClusterRoles().Get(context.Background(), "cc-operator-manager-role", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("operator objects were applied: %v", err)
	}
}

func TestOperatorUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{"install", "--method", "operator", "--version", "v0.18.0"},
		{"install", "--method", "operator", "--version", "latest"},
		{"install", "--method", "operator", "--platform", "aarch64"},
		{"install", "--method", "operator", "--set", "a=b"},
		{"install", "--method", "helmfile"},
		{"install", "--method", "operator", "--source", "/no/such/folder"},
	} {
		res := coco(args...)
		if res.Code != 2 {
			t.Errorf("%v: exit %d %q", args, res.Code, res.Stderr)
		}
	}
}
