package demoingress

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/osc-coco/kubectl-plugins/lib/apply"
	"github.com/osc-coco/kubectl-plugins/test/harness"
)

func namespaceGone(t *testing.T, ns string) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		_, err := cp.Admin.CoreV1().Namespaces().Get(context.Background(), ns, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("namespace %s still there: %v", ns, err)
		}
		time.Sleep(100 * time.Millisecond) // the test's own precondition
	}
}

func TestDeployDryRunPrintsTheGuidesManifests(t *testing.T) {
	r := run(t, "deploy", "--dry-run", "-o", "yaml")
	if r.Code != 0 {
		t.Fatalf("%d %s", r.Code, r.Stderr)
	}
	objs, err := apply.Parse([]byte(r.Stdout))
	if err != nil || len(objs) != 4 {
		t.Fatalf("%v %d\n%s", err, len(objs), r.Stdout)
	}
	var kinds []string
	for _, o := range objs {
		kinds = append(kinds, o.GetKind()+"/"+o.GetName())
	}
	if strings.Join(kinds, " ") != "Namespace/demo Deployment/web Service/web Ingress/demo-ip-ingress" {
		t.Fatal(kinds)
	}
	if _, err := cp.Admin.CoreV1().Namespaces().Get(context.Background(), "demo", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Fatalf("a dry run created the namespace: %v", err)
	}
	if r := run(t, "deploy", "--gateway"); r.Code != 1 || !strings.Contains(r.Stderr, "does not serve the Gateway API") {
		t.Fatalf("--gateway without CRDs: %d %s", r.Code, r.Stderr)
	}
	for _, bad := range [][]string{{"--path", "demo"}, {"--host", "160.44.12.35"}, {"--image", "my image"}, {"--dry-run=maybe"}} {
		if r := run(t, append([]string{"deploy"}, bad...)...); r.Code != 2 {
			t.Errorf("%v: %d %s", bad, r.Code, r.Stderr)
		}
	}
}

// TestDeployVerifyDelete runs the whole round on kwok nodes: the controller manager makes the
// pods, the scheduler places them, kwok runs them, the endpoint slice controller publishes them.
func TestDeployVerifyDelete(t *testing.T) {
	ctx := context.Background()
	harness.Step(t, "install and deploy, twice", func(t *testing.T) {
		if r := run(t, "install", "--controller", "ingress-nginx", "--chart-repo", repo.URL, "--timeout", "1m"); r.Code != 0 {
			t.Fatalf("install: %d %s", r.Code, r.Stderr)
		}
		r := run(t, "deploy", "--image", "local/demoweb:1")
		if r.Code != 0 || !strings.Contains(r.Stdout, "ingress/demo-ip-ingress serverside-applied") {
			t.Fatalf("deploy: %d %s %s", r.Code, r.Stdout, r.Stderr)
		}
		dep, err := cp.Admin.AppsV1().Deployments("demo").Get(ctx, "web", metav1.GetOptions{})
		if err != nil || dep.Spec.Template.Spec.Containers[0].Image != "local/demoweb:1" {
			t.Fatalf("%v %+v", err, dep)
		}
		ing, err := cp.Admin.NetworkingV1().Ingresses("demo").Get(ctx, "demo-ip-ingress", metav1.GetOptions{})
		if err != nil || ing.Spec.Rules[0].HTTP.Paths[0].Path != "/demo" || *ing.Spec.IngressClassName != "nginx" {
			t.Fatalf("%v %+v", err, ing)
		}
		if _, err := cp.Admin.CoreV1().Services("demo").Get(ctx, "web", metav1.GetOptions{}); err != nil {
			t.Fatal(err)
		}
		again := run(t, "deploy", "--image", "local/demoweb:1")
		dep2, _ := cp.Admin.AppsV1().Deployments("demo").Get(ctx, "web", metav1.GetOptions{})
		if again.Code != 0 || dep2.Generation != dep.Generation {
			t.Fatalf("second deploy changed the deployment: %d gen %d→%d", again.Code, dep.Generation, dep2.Generation)
		}
	})

	// HTTP outcomes: the load balancer stand-in gives the ingress 127.0.0.1; --port picks the server.
	good := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte("hello from the demo app on " + r.URL.Path))
	}))
	defer good.Close()
	port := func(s *httptest.Server) string { return strconv.Itoa(s.Listener.Addr().(*net.TCPAddr).Port) }
	harness.Step(t, "verify: each HTTP outcome named, every hop shown", func(t *testing.T) {
		notFound := httptest.NewServer(http.NotFoundHandler())
		defer notFound.Close()
		unavailable := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(503) }))
		defer unavailable.Close()
		block := make(chan struct{})
		hang := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { <-block }))
		defer hang.Close()
		defer close(block)
		l, _ := net.Listen("tcp", "127.0.0.1:0")
		refused := l.Addr().(*net.TCPAddr).Port
		l.Close()
		for _, tc := range []struct {
			name, port, timeout string
			code                int
			want                string
		}{
			{"good", port(good), "1m", 0, `HTTP 200`},
			{"404", port(notFound), "4s", 1, "no rule matches this path"},
			{"503", port(unavailable), "4s", 1, "no ready backend"},
			{"hang", port(hang), "8s", 1, "no answer within the time limit"},
			{"refused", strconv.Itoa(refused), "4s", 1, "nothing listens on the port"},
		} {
			r := run(t, "verify", "--port", tc.port, "--timeout", tc.timeout)
			if r.Code != tc.code || !strings.Contains(r.Stdout, tc.want) {
				t.Errorf("%s: %d\n%s%s", tc.name, r.Code, r.Stdout, r.Stderr)
				continue
			}
			for _, hop := range []string{"✓ route       ingress demo/demo-ip-ingress has address 127.0.0.1", "✓ deployment  deployment demo/web: 1/1 available", "✓ endpoints   service web has 1 ready endpoint(s)"} {
				if !strings.Contains(r.Stdout, hop) {
					t.Errorf("%s: missing %q in\n%s", tc.name, hop, r.Stdout)
				}
			}
		}
	})
	harness.Step(t, "verify -o json and status", func(t *testing.T) {
		r := run(t, "verify", "--port", port(good), "-o", "json")
		var rep struct {
			OK   bool
			URL  string
			HTTP struct {
				Status int
				Body   string
			}
			Hops []struct{ Name string }
		}
		if err := json.Unmarshal([]byte(r.Stdout), &rep); err != nil || !rep.OK || rep.HTTP.Status != 200 || rep.HTTP.Body != "hello from the demo app on /demo" ||
			rep.URL != "http://127.0.0.1:"+port(good)+"/demo" || len(rep.Hops) != 4 {
			t.Fatalf("json: %v %s", err, r.Stdout)
		}
		r = run(t, "status")
		if r.Code != 0 || !strings.Contains(r.Stdout, "Address:      127.0.0.1") || !strings.Contains(r.Stdout, "Last verify:") || !strings.Contains(r.Stdout, "answered") {
			t.Fatalf("status: %d\n%s%s", r.Code, r.Stdout, r.Stderr)
		}
	})
	harness.Step(t, "delete, twice, then the controller", func(t *testing.T) {
		r := run(t, "delete", "--wait", "--timeout", "1m")
		if r.Code != 0 || !strings.Contains(r.Stdout, "all gone") {
			t.Fatalf("delete: %d %s %s", r.Code, r.Stdout, r.Stderr)
		}
		if _, err := cp.Admin.AppsV1().Deployments("demo").Get(ctx, "web", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
			t.Fatalf("deployment left behind: %v", err)
		}
		if _, err := cp.Admin.CoreV1().Namespaces().Get(ctx, "demo", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
			t.Fatalf("namespace left behind: %v", err)
		}
		if r := run(t, "delete"); r.Code != 0 {
			t.Fatalf("second delete: %d %s", r.Code, r.Stderr)
		}
		r = run(t, "verify", "--timeout", "2s")
		if r.Code != 1 || !strings.Contains(r.Stdout, "ingress demo/demo-ip-ingress does not exist") || !strings.Contains(r.Stdout, "kubectl demoingress deploy") {
			t.Fatalf("verify without demo: %d %s %s", r.Code, r.Stdout, r.Stderr)
		}
		r = run(t, "delete", "--controller", "--wait", "--timeout", "1m")
		if r.Code != 0 || !strings.Contains(r.Stdout, "release ingress-nginx/ingress-nginx (ingress-nginx) uninstalled") || !strings.Contains(r.Stderr, "floating IP 127.0.0.1 is released") {
			t.Fatalf("delete --controller: %d %s %s", r.Code, r.Stdout, r.Stderr)
		}
		if _, err := cp.Admin.CoreV1().Namespaces().Get(ctx, "ingress-nginx", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
			t.Fatalf("namespace ingress-nginx left: %v", err)
		}
	})
}
