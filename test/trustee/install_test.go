package trustee

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/dynamic"

	"github.com/osc-coco/kubectl-plugins/plugins/coco/cmd/helmcmd"
	"github.com/osc-coco/kubectl-plugins/plugins/coco/kbs"
	"github.com/osc-coco/kubectl-plugins/plugins/coco/trusteechart"
	"github.com/osc-coco/kubectl-plugins/test/charts"
	"github.com/osc-coco/kubectl-plugins/test/harness"
)

func kc(kubeconfig string, args ...string) harness.Result {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	return harness.Run(ctx, helmcmd.NewRoot, kubeconfig, args...)
}

// chartWithIssuer is a copy of the fixture chart whose admin issuer differs.
func chartWithIssuer(t *testing.T, issuer string) string {
	return chartEdited(t, func(rel string, data []byte) []byte {
		if rel == "values.yaml" {
			data = []byte(strings.Replace(string(data), "issuer: TrusteeInHelm", "issuer: "+issuer, 1))
		}
		return data
	})
}

// chartEdited is a copy of the fixture chart with edit applied to each file (its path in the chart).
func chartEdited(t *testing.T, edit func(rel string, data []byte) []byte) string {
	t.Helper()
	dir := t.TempDir()
	src := charts.Dir("trustee")
	err := filepath.Walk(src, func(p string, fi os.FileInfo, err error) error {
		if err != nil || fi.IsDir() {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		data = edit(rel, data)
		if err := os.MkdirAll(filepath.Join(dir, filepath.Dir(rel)), 0o755); err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dir, rel), data, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestTrusteeInstallStatusUninstall(t *testing.T) {
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	chartDir := charts.Dir("trustee")
	ctx := context.Background()
	keyPath := filepath.Join(os.Getenv("XDG_CONFIG_HOME"), "kubectl-coco", "trustee-admin.key")
	nsGone := func() bool {
		_, err := cp.Admin.CoreV1().Namespaces().Get(ctx, "trustee", metav1.GetOptions{})
		return apierrors.IsNotFound(err)
	}

	harness.Step(t, "refusals change nothing", func(t *testing.T) {
		if res := kc(cp.AdminKubeconfig, "trustee", "install"); res.Code != 2 || !strings.Contains(res.Stderr, "not published to a registry") {
			t.Fatalf("no chart: exit %d %s", res.Code, res.Stderr)
		}
		viewer, err := cp.Grant("trustee-viewer", rbacv1.PolicyRule{APIGroups: []string{""}, Resources: []string{"secrets"}, Verbs: []string{"get", "list"}})
		if err != nil {
			t.Fatal(err)
		}
		if res := kc(viewer, "trustee", "install", "--chart", chartDir); res.Code != 1 || !strings.Contains(res.Stderr, "installing Trustee needs these permissions") {
			t.Fatalf("viewer: exit %d %s", res.Code, res.Stderr)
		}
		if res := kc(cp.AdminKubeconfig, "trustee", "install", "--chart", chartWithIssuer(t, "MyIssuer")); res.Code != 1 || !strings.Contains(res.Stderr, `issuer is MyIssuer, not "TrusteeInHelm": kubectl coco's admin tokens would be refused; nothing was applied`) {
			t.Fatalf("another issuer: exit %d %s", res.Code, res.Stderr)
		}
		if _, err := os.Stat(keyPath); !os.IsNotExist(err) || !nsGone() {
			t.Fatalf("a refused install left the key file (%v) or the namespace", err)
		}
	})

	harness.Step(t, "a dry run prints the release and applies nothing", func(t *testing.T) {
		res := kc(cp.AdminKubeconfig, "trustee", "install", "--chart", chartDir, "--dry-run")
		if res.Code != 0 || !strings.Contains(res.Stdout, "name: trustee-kbs") || !strings.Contains(res.Stdout, "secretName: trustee-kubectl-coco-keys") {
			t.Fatalf("exit %d\n%s\n%s", res.Code, res.Stdout, res.Stderr)
		}
		// The images are pinned to Trustee v0.21.0's, pulled when missing; chart 0.18.0 has no TLS, and says so.
		for _, img := range []string{"kbs-grpc-as", "coco-as-grpc", "rvps"} {
			if !strings.Contains(res.Stdout, "staged-images/"+img+":"+trusteechart.TrusteeV021Images+`"`) {
				t.Errorf("%s is not pinned:\n%s", img, res.Stdout)
			}
		}
		if strings.Contains(res.Stdout, ":latest") || strings.Contains(res.Stdout, "imagePullPolicy: Always") || !strings.Contains(res.Stderr, "warning: the KBS listens on plain HTTP") {
			t.Fatalf("latest, Always or no plain-HTTP warning:\n%s\n%s", res.Stdout, res.Stderr)
		}
		if _, err := os.Stat(keyPath); !os.IsNotExist(err) || !nsGone() {
			t.Fatal("a dry run wrote the key or made the namespace")
		}
	})

	harness.Step(t, "images: latest set by the user is warned; a chart version kubectl coco does not know is refused unless every image is set", func(t *testing.T) {
		res := kc(cp.AdminKubeconfig, "trustee", "install", "--chart", chartDir, "--dry-run", "--set", "kbs.image.tag=latest")
		if res.Code != 0 || !strings.Contains(res.Stderr, "warning: images on a moving tag") || !strings.Contains(res.Stderr, "trustee-kbs/kbs (ghcr.io/confidential-containers/staged-images/kbs-grpc-as:latest)") {
			t.Fatalf("latest: exit %d %s", res.Code, res.Stderr)
		}
		other := chartEdited(t, func(rel string, data []byte) []byte {
			if rel == "Chart.yaml" {
				data = []byte(strings.Replace(string(data), "version: 0.18.0", "version: 0.19.0", 1))
			}
			return data
		})
		res = kc(cp.AdminKubeconfig, "trustee", "install", "--chart", other, "--dry-run")
		if res.Code != 1 || !strings.Contains(res.Stderr, "not a chart version kubectl coco knows") || !strings.Contains(res.Stderr, "0.18.0 (trustee v0.21.0") ||
			!strings.Contains(res.Stderr, "--set kbs.image.tag=T") {
			t.Fatalf("unknown version: exit %d %s", res.Code, res.Stderr)
		}
		res = kc(cp.AdminKubeconfig, "trustee", "install", "--chart", other, "--dry-run", "--set", "kbs.image.tag=v1", "--set", "as.image.tag=v1", "--set", "rvps.image.tag=v1")
		if res.Code != 0 || !strings.Contains(res.Stderr, "not one kubectl coco was checked against") || !strings.Contains(res.Stdout, "kbs-grpc-as:v1") {
			t.Fatalf("unknown version with images: exit %d %s", res.Code, res.Stderr)
		}
		if !nsGone() {
			t.Fatal("a dry run made the namespace")
		}
	})

	var url string
	harness.Step(t, "install: the admin key stays here, the cluster gets its public half", func(t *testing.T) {
		res := kc(cp.AdminKubeconfig, "trustee", "install", "--chart", chartDir, "-o", "json", "--timeout", "20s")
		var r helmcmd.TrusteeInstallResult
		if err := json.Unmarshal([]byte(res.Stdout), &r); err != nil || res.Code != 0 {
			t.Fatalf("exit %d %v\n%s", res.Code, err, res.Stderr)
		}
		svc, _ := cp.Admin.CoreV1().Services("trustee").Get(ctx, "trustee-kbs", metav1.GetOptions{})
		if url = r.KBSURL; r.Outcome != "installed" || url != "http://"+svc.Spec.ClusterIP+":8080" || strings.Join(r.Deployments, ",") != "trustee-kbs,trustee-as,trustee-rvps" ||
			r.Trustee != "v0.21.0" || r.TLS || r.Images["trustee-as/as"] != "ghcr.io/confidential-containers/staged-images/coco-as-grpc:"+trusteechart.TrusteeV021Images {
			t.Fatalf("result %+v", r)
		}
		fi, err := os.Stat(keyPath)
		if err != nil || fi.Mode().Perm() != 0o600 {
			t.Fatalf("key file %v %v", fi, err)
		}
		data, _ := os.ReadFile(keyPath)
		key, err := kbs.ParsePrivateKey(data)
		if err != nil {
			t.Fatal(err)
		}
		_, pub, _ := kbs.MarshalKeys(key)
		sec, err := cp.Admin.CoreV1().Secrets("trustee").Get(ctx, trusteechart.SecretName("trustee"), metav1.GetOptions{})
		if err != nil || string(sec.Data["KBS_ADMIN_PUBKEY"]) != string(pub) || len(sec.Data["KBS_ADMIN_PRIVATE_KEY"]) != 0 || len(sec.Data["AS_TOKEN_SIGNING_PRIVATE_KEY"]) == 0 {
			t.Fatalf("the Secret: %v %v", err, sec.Data)
		}
		if strings.Contains(res.Stdout+res.Stderr, strings.Split(string(data), "\n")[1]) {
			t.Fatal("the admin key reached the output")
		}
		res = kc(cp.AdminKubeconfig, "trustee", "install", "--chart", chartDir, "-o", "jsonpath={.outcome}")
		if res.Code != 0 || res.Stdout != "unchanged" {
			t.Fatalf("rerun: exit %d %q %s", res.Code, res.Stdout, res.Stderr)
		}
	})

	harness.Step(t, "status: healthy, at the Service's address", func(t *testing.T) {
		res := kc(cp.AdminKubeconfig, "trustee", "status", "-o", "json")
		var st helmcmd.TrusteeStatus
		if err := json.Unmarshal([]byte(res.Stdout), &st); err != nil || res.Code != 0 || !st.Healthy || st.KBSURL != url || st.Deployments["trustee-kbs"].String() != "1/1" ||
			len(st.Images) != 3 || st.Images["trustee-kbs/kbs"] != "ghcr.io/confidential-containers/staged-images/kbs-grpc-as:"+trusteechart.TrusteeV021Images || len(st.Warnings) != 0 {
			t.Fatalf("exit %d %v %+v %s", res.Code, err, st, res.Stderr)
		}
		if res := kc(cp.AdminKubeconfig, "trustee", "status"); res.Code != 0 || !strings.Contains(res.Stdout, "image trustee-rvps/rvps: ghcr.io/confidential-containers/staged-images/rvps:"+trusteechart.TrusteeV021Images) {
			t.Fatalf("human: exit %d %s", res.Code, res.Stdout)
		}
	})

	harness.Step(t, "another admin key is refused; LoadBalancer exposure gives the balancer's URL", func(t *testing.T) {
		other := filepath.Join(t.TempDir(), "other.key")
		_, otherKey, _ := ed25519.GenerateKey(rand.Reader)
		priv, _, _ := kbs.MarshalKeys(otherKey)
		_ = os.WriteFile(other, priv, 0o600)
		if res := kc(cp.AdminKubeconfig, "trustee", "install", "--chart", chartDir, "--admin-key", other); res.Code != 1 || !strings.Contains(res.Stderr, "holds another admin public key") {
			t.Fatalf("other key: exit %d %s", res.Code, res.Stderr)
		}
		res := kc(cp.AdminKubeconfig, "trustee", "install", "--chart", chartDir, "--service-type", "LoadBalancer", "-o", "jsonpath={.outcome} {.service} {.kbsURL}")
		if res.Code != 0 || res.Stdout != "upgraded trustee-kbs-lb http://127.0.0.1:8080" {
			t.Fatalf("LoadBalancer: exit %d %q %s", res.Code, res.Stdout, res.Stderr)
		}
	})

	harness.Step(t, "uninstall, twice; the key file stays", func(t *testing.T) {
		if res := kc(cp.AdminKubeconfig, "trustee", "uninstall", "--dry-run"); res.Code != 0 || !strings.Contains(res.Stdout, "would uninstall release trustee") || nsGone() {
			t.Fatalf("dry run: exit %d %s", res.Code, res.Stdout)
		}
		res := kc(cp.AdminKubeconfig, "trustee", "uninstall")
		if res.Code != 0 || !strings.Contains(res.Stdout, "namespace trustee deleted") {
			t.Fatalf("exit %d %s %s", res.Code, res.Stdout, res.Stderr)
		}
		if _, err := os.Stat(keyPath); err != nil {
			t.Fatalf("the key file went: %v", err)
		}
		if res := kc(cp.AdminKubeconfig, "trustee", "status"); res.Code != 1 {
			t.Fatalf("status after uninstall: exit %d %s", res.Code, res.Stdout)
		}
		if res := kc(cp.AdminKubeconfig, "trustee", "uninstall"); res.Code != 0 || !strings.Contains(res.Stdout, "nothing to do") {
			t.Fatalf("second uninstall: exit %d %s", res.Code, res.Stdout)
		}
	})

	harness.Step(t, "the legacy trustee-operator's KbsConfig is reported", func(t *testing.T) {
		kbsConfig(t)
		res := kc(cp.AdminKubeconfig, "trustee", "status", "-o", "jsonpath={.installed} {.method} {.kbsConfigs}")
		if res.Code != 0 || res.Stdout != `true operator ["trustee-operator-system/kbsconfig-sample"]` || !strings.Contains(res.Stderr, "legacy trustee-operator") {
			t.Fatalf("exit %d %q %s", res.Code, res.Stdout, res.Stderr)
		}
	})
}

// kbsConfig creates the trustee-operator's CRD (its group, version and kind; no schema) and
// one KbsConfig, as the operator's sample does.
func kbsConfig(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	crd := &unstructured.Unstructured{Object: map[string]any{"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
		"metadata": map[string]any{"name": "kbsconfigs.confidentialcontainers.org"},
		"spec": map[string]any{"group": "confidentialcontainers.org", "scope": "Namespaced",
			"names":    map[string]any{"plural": "kbsconfigs", "singular": "kbsconfig", "kind": "KbsConfig", "listKind": "KbsConfigList"},
			"versions": []any{map[string]any{"name": "v1alpha1", "served": true, "storage": true, "schema": map[string]any{"openAPIV3Schema": map[string]any{"type": "object", "x-kubernetes-preserve-unknown-fields": true}}}}}}}
	dyn := dynamic.NewForConfigOrDie(cp.AdminConfig)
	crdGVR := schema.GroupVersionResource{Group: "apiextensions.k8s.io", Version: "v1", Resource: "customresourcedefinitions"}
	if _, err := dyn.Resource(crdGVR).Create(ctx, crd, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := cp.Admin.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "trustee-operator-system"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	obj := &unstructured.Unstructured{Object: map[string]any{"apiVersion": "confidentialcontainers.org/v1alpha1", "kind": "KbsConfig",
		"metadata": map[string]any{"name": "kbsconfig-sample", "namespace": "trustee-operator-system"}}}
	gvr := schema.GroupVersionResource{Group: "confidentialcontainers.org", Version: "v1alpha1", Resource: "kbsconfigs"}
	// The CRD's resource is served once it is established: retry the create until then.
	err := wait.PollUntilContextTimeout(ctx, 50*time.Millisecond, 30*time.Second, true, func(ctx context.Context) (bool, error) {
		_, err := dyn.Resource(gvr).Namespace("trustee-operator-system").Create(ctx, obj, metav1.CreateOptions{})
		return err == nil, nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
