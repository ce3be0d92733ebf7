package coco

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/osc-coco/kubectl-plugins/plugins/coco/cmd"
	"github.com/osc-coco/kubectl-plugins/plugins/coco/initdata"
	"github.com/osc-coco/kubectl-plugins/test/harness"
)

// webManifest is a Deployment of an image (by tag) of the loopback registry at host, and a Service.
func webManifest(host string) string {
	return `apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: web, image: "` + host + `/web:1.0"}]
      volumes: [{name: logs, hostPath: {path: /var/log}}]
---
apiVersion: v1
kind: Service
metadata: {name: web}
spec: {selector: {app: web}, ports: [{port: 80}]}
`
}

func TestDeployAgainstTheAPIServer(t *testing.T) {
	ns := newNamespace(t, "deploy-test")
	host, _ := imageRegistry(t)
	manifest := filepath.Join(t.TempDir(), "web.yaml")
	if err := os.WriteFile(manifest, []byte(webManifest(host)), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	// The tag stays (--allow-tags), the secrets are not bound; test/coco/confidential_test.go pins
	// and binds.
	deploy := func(kc string, args ...string) harness.Result {
		return run(ctx, kc, append([]string{"deploy", "-n", ns, "-f", manifest, "--allow-tags", "--bind=false"}, args...)...)
	}

	harness.Step(t, "a client dry run prints the prepared objects and sends nothing", func(t *testing.T) {
		res := deploy(cp.AdminKubeconfig, "--kbs-url", "http://10.0.0.5:8080", "--dry-run", "-o", "yaml")
		if res.Code != 0 || !strings.Contains(res.Stdout, "runtimeClassName: kata-qemu-snp") || !strings.Contains(res.Stdout, initdata.Annotation+": H4sI") {
			t.Fatalf("exit %d\n%s\n%s", res.Code, res.Stdout, res.Stderr)
		}
		if _, err := cp.Admin.AppsV1().Deployments(ns).Get(ctx, "web", metav1.GetOptions{}); err == nil {
			t.Fatal("a dry run created the Deployment")
		}
	})

	harness.Step(t, "a viewer is refused before anything is applied", func(t *testing.T) {
		kc := grant(t, "deploy-viewer", rbacv1.PolicyRule{APIGroups: []string{"node.k8s.io"}, Resources: []string{"runtimeclasses"}, Verbs: []string{"get", "list"}},
			rbacv1.PolicyRule{APIGroups: []string{""}, Resources: []string{"nodes"}, Verbs: []string{"list"}})
		res := deploy(kc)
		if res.Code != 1 || !strings.Contains(res.Stderr, "deploying the manifest needs these permissions") {
			t.Fatalf("exit %d %s", res.Code, res.Stderr)
		}
		if _, err := cp.Admin.CoreV1().Services(ns).Get(ctx, "web", metav1.GetOptions{}); err == nil {
			t.Fatal("a refused deploy created the Service")
		}
	})

	harness.Step(t, "applied in the best class with initdata, the warnings named, idempotent", func(t *testing.T) {
		res := deploy(cp.AdminKubeconfig, "--kbs-url", "http://10.0.0.5:8080", "-o", "json")
		var r cmd.DeployReport
		if err := json.Unmarshal([]byte(res.Stdout), &r); err != nil || res.Code != 0 {
			t.Fatalf("exit %d %v\n%s", res.Code, err, res.Stderr)
		}
		// A TEE class and the host shut out, but the secrets not bound (--bind=false): not confidential.
		if r.RuntimeClass != "kata-qemu-snp" || !r.TEE || !r.HostShutOut || r.SecretsBound || r.Confidential || len(r.Workloads) != 1 ||
			len(r.Workloads[0].Initdata) != 96 || strings.Join(r.Objects, ",") != "deployment/web,service/web" {
			t.Fatalf("report %+v", r)
		}
		var msgs []string
		for _, w := range r.Warnings {
			msgs = append(msgs, w.Message)
		}
		if warned := strings.Join(msgs, "\n"); len(msgs) != 2 || !strings.Contains(warned, "hostPath") || !strings.Contains(warned, "pulled by tag") {
			t.Fatalf("warnings %+v", r.Warnings)
		}
		d, err := cp.Admin.AppsV1().Deployments(ns).Get(ctx, "web", metav1.GetOptions{})
		if err != nil || d.Spec.Template.Spec.RuntimeClassName == nil || *d.Spec.Template.Spec.RuntimeClassName != "kata-qemu-snp" {
			t.Fatalf("the Deployment on the server: %v %+v", err, d)
		}
		doc, err := initdata.Decode(d.Spec.Template.Annotations[initdata.Annotation])
		if err != nil || !strings.Contains(string(doc), "http://10.0.0.5:8080") {
			t.Fatalf("initdata on the server: %v %s", err, doc)
		}
		if res := deploy(cp.AdminKubeconfig, "--kbs-url", "http://10.0.0.5:8080"); res.Code != 0 || !strings.Contains(res.Stdout, "applied in runtime class kata-qemu-snp") ||
			!strings.Contains(res.Stderr, "stays a tag (--allow-tags)") {
			t.Fatalf("rerun: exit %d %s %s", res.Code, res.Stdout, res.Stderr)
		}
	})

	harness.Step(t, "a field another manager owns is not taken over without --force-conflicts", func(t *testing.T) {
		patch := []byte(`{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web"},"spec":{"template":{"spec":{"runtimeClassName":"kata-qemu-tdx"}}}}`)
		force := true
		if _, err := cp.Admin.AppsV1().Deployments(ns).Patch(ctx, "web", types.ApplyPatchType, patch, metav1.PatchOptions{FieldManager: "someone-else", Force: &force}); err != nil {
			t.Fatal(err)
		}
		res := deploy(cp.AdminKubeconfig, "--runtime-class", "kata-qemu-snp")
		if res.Code != 1 || !strings.Contains(res.Stderr, "--force-conflicts") {
			t.Fatalf("conflict: exit %d %s", res.Code, res.Stderr)
		}
		if res := deploy(cp.AdminKubeconfig, "--runtime-class", "kata-qemu-snp", "--force-conflicts"); res.Code != 0 {
			t.Fatalf("forced: exit %d %s", res.Code, res.Stderr)
		}
	})

	harness.Step(t, "honest about classes without a TEE, and bad input", func(t *testing.T) {
		res := deploy(cp.AdminKubeconfig, "--runtime-class", "kata-qemu-coco-dev", "--dry-run=server")
		if res.Code != 0 || !strings.Contains(res.Stdout, "NOT confidential: no TEE") || !strings.Contains(res.Stdout, "no KBS (--kbs-url)") ||
			!strings.Contains(res.Stderr, "warning: NOT confidential: no TEE") {
			t.Fatalf("coco-dev: exit %d %s %s", res.Code, res.Stdout, res.Stderr)
		}
		for _, tc := range []struct {
			args []string
			code int
			want string
		}{
			{[]string{"--runtime-class", "kata-qemu-nope"}, 1, `runtime class "kata-qemu-nope" does not exist`},
			{[]string{"--policy", manifest}, 2, "does not parse as Rego"},
			{[]string{"--bind"}, 2, "it needs --kbs-url"},
			{[]string{"--kbs-url", "10.0.0.5"}, 2, "must start with http://"},
		} {
			if res := deploy(cp.AdminKubeconfig, tc.args...); res.Code != tc.code || !strings.Contains(res.Stderr, tc.want) {
				t.Errorf("%v: exit %d %s", tc.args, res.Code, res.Stderr)
			}
		}
		svcOnly := filepath.Join(t.TempDir(), "svc.yaml")
		_ = os.WriteFile(svcOnly, []byte("apiVersion: v1\nkind: Service\nmetadata: {name: x}\nspec: {ports: [{port: 80}]}\n"), 0o600)
		if res := run(ctx, cp.AdminKubeconfig, "deploy", "-f", `"`+svcOnly+`"`); res.Code != 2 || !strings.Contains(res.Stderr, "has no Pod, Deployment") {
			t.Errorf("no workload: exit %d %s", res.Code, res.Stderr)
		}
	})
}
