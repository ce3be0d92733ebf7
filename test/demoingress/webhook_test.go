package demoingress

import (
	"context"
	"strings"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/osc-coco/kubectl-plugins/test/harness"
)

// The chart's admission webhook (failurePolicy Fail) is served by the controller's pods: install
// waits for the controller Deployment, so a deploy right after it succeeds; a deploy while the
// webhook does not answer names the webhook and the controller pods, and exits 1.
func TestAdmissionWebhook(t *testing.T) {
	wh := harness.StartIngressWebhook(cp.Admin)
	defer wh.Close()
	defer func() { // the controller without the webhook, for the tests that follow
		if r := run(t, "install", "--controller", "ingress-nginx", "--chart-repo", repo.URL, "--timeout", "1m"); r.Code != 0 {
			t.Errorf("restore: %d %s", r.Code, r.Stderr)
		}
	}()
	r := run(t, append([]string{"install", "--controller", "ingress-nginx", "--chart-repo", repo.URL, "--timeout", "1m"}, wh.Sets()...)...)
	if r.Code != 0 || !strings.Contains(r.Stdout, "controller deployment ingress-nginx/ingress-nginx-controller available") {
		t.Fatalf("install: %d\n%s\n%s", r.Code, r.Stdout, r.Stderr)
	}
	if _, err := cp.Admin.AdmissionregistrationV1().ValidatingWebhookConfigurations().Get(context.Background(), "ingress-nginx-admission", metav1.GetOptions{}); err != nil {
		t.Fatal(err)
	}
	if r := run(t, "deploy"); r.Code != 0 {
		t.Fatalf("deploy after install: %d %s", r.Code, r.Stderr)
	}
	wh.Hang(true)
	start := time.Now()
	r = run(t, "deploy", "--text", "changed")
	if r.Code != 1 {
		t.Fatalf("deploy with a hanging webhook: exit %d\n%s", r.Code, r.Stderr)
	}
	for _, want := range []string{`admission webhook "validate.nginx.ingress.kubernetes.io"`, "failurePolicy Fail", "controller pods: ingress-nginx-controller-",
		"fix: wait until the ingress controller is ready"} {
		if !strings.Contains(r.Stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, r.Stderr)
		}
	}
	t.Logf("refused after %s", time.Since(start).Round(time.Second))
	wh.Hang(false)
	if r := run(t, "deploy", "--text", "changed"); r.Code != 0 {
		t.Fatalf("deploy once the webhook answers: %d %s", r.Code, r.Stderr)
	}
	if r := run(t, "delete", "--wait", "--timeout", "1m"); r.Code != 0 {
		t.Fatalf("delete: %d %s", r.Code, r.Stderr)
	}
}

// Dry runs work on a cluster where nothing of the demo exists yet: install's shows the chart's
// hooks too, marked as such; deploy's server dry run checks the objects although namespace demo
// does not exist; delete's lists only what exists.
func TestDryRunsOnAnEmptyCluster(t *testing.T) {
	ctx := context.Background()
	deadline := time.Now().Add(time.Minute)
	for {
		_, err := cp.Admin.CoreV1().Namespaces().Get(ctx, "demo", metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("namespace demo still there: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	r := run(t, "install", "--controller", "ingress-nginx", "--chart-repo", repo.URL, "--dry-run")
	if r.Code != 0 {
		t.Fatalf("install --dry-run: %d %s", r.Code, r.Stderr)
	}
	for _, want := range []string{"kind: Deployment", "name: ingress-nginx-controller-admission", "# Hook ingress-nginx-admission-create (", "Helm creates it at pre-install,pre-upgrade",
		"# Hook ingress-nginx-admission-patch (", "kind: Job"} {
		if !strings.Contains(r.Stdout, want) {
			t.Errorf("install dry run lacks %q", want)
		}
	}
	r = run(t, "deploy", "--dry-run=server", "-o", "yaml")
	if r.Code != 0 || !strings.Contains(r.Stderr, "namespace demo does not exist yet") || !strings.Contains(r.Stdout, "namespace: demo") {
		t.Fatalf("deploy --dry-run=server: %d\n%s\n%s", r.Code, r.Stdout, r.Stderr)
	}
	if _, err := cp.Admin.CoreV1().Namespaces().Get(ctx, "demo", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("a dry run created namespace demo: %v", err)
	}
	r = run(t, "delete", "--dry-run")
	if r.Code != 0 || !strings.Contains(r.Stdout, "no demo resources to delete (dry run)") || strings.Contains(r.Stdout, "/demo") {
		t.Errorf("delete --dry-run: %d\n%s", r.Code, r.Stdout)
	}
}
