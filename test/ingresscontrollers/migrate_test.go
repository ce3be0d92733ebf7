package ingresscontrollers

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/utils/ptr"

	"github.com/osc-coco/kubectl-plugins/plugins/demoingress/cmd/helmcmd"
	"github.com/osc-coco/kubectl-plugins/test/harness"
)

// floatingIP is the migration's floating IP: a loopback address, so that the requests the
// migration compares stay on this machine (the LoadBalancerStandIn gives a Service the IP it
// asks for; the temporary address of a Service asking for none is 127.0.0.1).
const (
	floatingIP = "127.0.0.50"
	secondIP   = "127.0.0.51"
)

// serveOn answers every request on 127.0.0.1, floatingIP and secondIP at one port: the backend
// both controllers forward to, played by the test (no controller image runs here). While
// newDiffers is set, 127.0.0.1 (the temporary address of Traefik's Service) answers 404: a new
// controller that does not route as the old one does.
var newDiffers atomic.Bool

func serveOn(t *testing.T) int {
	t.Helper()
	first, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := first.Addr().(*net.TCPAddr).Port
	ls := []net.Listener{first}
	for _, ip := range []string{floatingIP, secondIP} {
		l, err := net.Listen("tcp", net.JoinHostPort(ip, strconv.Itoa(port)))
		if err != nil {
			t.Fatal(err)
		}
		ls = append(ls, l)
	}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if local, _ := r.Context().Value(http.LocalAddrContextKey).(net.Addr); newDiffers.Load() && local != nil && strings.HasPrefix(local.String(), "127.0.0.1:") {
			http.NotFound(w, r)
			return
		}
		fmt.Fprintf(w, "hello from %s%s", r.Host, r.URL.Path)
	})
	for _, l := range ls {
		srv := &http.Server{Handler: h}
		go func() { _ = srv.Serve(l) }()
		t.Cleanup(func() { _ = srv.Close() })
	}
	return port
}

func ingressWith(ns, name string, ann map[string]string) *networkingv1.Ingress {
	pt := networkingv1.PathTypePrefix
	return &networkingv1.Ingress{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns, Annotations: ann},
		Spec: networkingv1.IngressSpec{IngressClassName: ptr.To("nginx"), Rules: []networkingv1.IngressRule{{Host: "shop.example.com",
			IngressRuleValue: networkingv1.IngressRuleValue{HTTP: &networkingv1.HTTPIngressRuleValue{Paths: []networkingv1.HTTPIngressPath{{Path: "/cart", PathType: &pt,
				Backend: networkingv1.IngressBackend{Service: &networkingv1.IngressServiceBackend{Name: "shop", Port: networkingv1.ServiceBackendPort{Number: 80}}}}}}}}}}}
}

// TestMigrate: ingress-nginx with the guide's Ingress and a shop's moves to Traefik on the same
// floating IP; each refusal changes nothing; a floating IP the cloud replaces is caught and
// rolled back with the old controller serving.
func TestMigrate(t *testing.T) {
	ctx := context.Background()
	t.Cleanup(func() { cleanUp(t) })
	port := strconv.Itoa(serveOn(t))
	migrate := func(args ...string) harness.Result {
		return run(t, append([]string{"migrate", "--chart-repo", repo.URL, "--gateway-api-crds", crdsURL, "--port", port, "--timeout", "1m"}, args...)...)
	}
	traefikAbsent := func(t *testing.T) {
		t.Helper()
		if _, err := cp.Admin.AppsV1().Deployments("traefik").Get(ctx, "traefik", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
			t.Fatalf("traefik deployment present: %v", err)
		}
	}
	oldServes := func(t *testing.T) {
		t.Helper()
		svc, err := cp.Admin.CoreV1().Services("ingress-nginx").Get(ctx, "ingress-nginx-controller", metav1.GetOptions{})
		if err != nil || len(svc.Status.LoadBalancer.Ingress) == 0 || svc.Status.LoadBalancer.Ingress[0].IP != floatingIP {
			t.Fatalf("ingress-nginx does not serve on %s: %v %+v", floatingIP, err, svc)
		}
	}
	harness.Step(t, "ingress-nginx on the floating IP with the guide's Ingress and a shop's", func(t *testing.T) {
		r := run(t, "install", "--controller", "ingress-nginx", "--chart-repo", repo.URL, "--load-balancer-ip", floatingIP, "--keep-floating-ip", "--timeout", "1m")
		if r.Code != 0 || !strings.Contains(r.Stdout, "external address: "+floatingIP) {
			t.Fatalf("%d %s %s", r.Code, r.Stdout, r.Stderr)
		}
		deployIngresses(t)
		// Traefik beside it would take the same Ingresses on another address: migrate does that.
		if r := run(t, "install", "--chart-repo", repo.URL, "--gateway-api-crds", crdsURL, "--timeout", "20s"); r.Code != 1 || !strings.Contains(r.Stderr, "ingress-nginx is installed") ||
			!strings.Contains(r.Stderr, "kubectl demoingress migrate") {
			t.Errorf("install beside ingress-nginx: %d %s", r.Code, r.Stderr)
		}
		if r := migrate("--second-ip", floatingIP); r.Code != 2 || !strings.Contains(r.Stderr, "is the IP ingress-nginx serves on") {
			t.Errorf("--second-ip of the old IP: %d %s", r.Code, r.Stderr)
		}
		traefikAbsent(t)
	})
	harness.Step(t, "an Ingress with a server snippet stops the move; audit names it", func(t *testing.T) {
		bad := ingressWith("demo", "legacy", map[string]string{"nginx.ingress.kubernetes.io/server-snippet": "location /x { proxy_pass http://10.0.0.1; }"})
		if _, err := cp.Admin.NetworkingV1().Ingresses("demo").Create(ctx, bad, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		r := migrate()
		if r.Code != 1 || !strings.Contains(r.Stderr, "Traefik does not serve every annotation of demo/legacy") {
			t.Fatalf("%d %s %s", r.Code, r.Stdout, r.Stderr)
		}
		traefikAbsent(t)
		a := run(t, "audit", "-o", "json")
		var rep helmcmd.AuditReport
		if err := json.Unmarshal([]byte(a.Stdout), &rep); err != nil {
			t.Fatal(err, a.Stdout, a.Stderr)
		}
		if a.Code != 1 || rep.Ready || rep.Summary.Fail != 1 || len(rep.Controllers) != 1 || rep.Controllers[0].Name != "ingress-nginx" || rep.Controllers[0].Address != floatingIP {
			t.Errorf("audit: %d %+v", a.Code, rep)
		}
		if strings.Contains(a.Stdout, "10.0.0.1") {
			t.Errorf("audit echoes the snippet: %s", a.Stdout)
		}
		if err := cp.Admin.NetworkingV1().Ingresses("demo").Delete(ctx, "legacy", metav1.DeleteOptions{}); err != nil {
			t.Fatal(err)
		}
		if a := run(t, "audit"); a.Code != 0 || !strings.Contains(a.Stdout, "demo/shop") {
			t.Errorf("audit without the snippet: %d %s %s", a.Code, a.Stdout, a.Stderr)
		}
	})
	harness.Step(t, "with Gardener's nginx addon on, it refuses and names the Shoot field", func(t *testing.T) {
		addon := &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: "addons-nginx-ingress-controller", Namespace: "kube-system"},
			Spec: appsv1.DeploymentSpec{Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "nginx-ingress"}}, Replicas: ptr.To(int32(0)),
				Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": "nginx-ingress"}},
					Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "nginx-ingress-controller", Image: "example.invalid/nginx"}}}}}}
		if _, err := cp.Admin.AppsV1().Deployments("kube-system").Create(ctx, addon, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		r := migrate()
		if r.Code != 1 || !strings.Contains(r.Stderr, "spec.addons.nginxIngress.enabled: false") {
			t.Errorf("%d %s", r.Code, r.Stderr)
		}
		traefikAbsent(t)
		if err := cp.Admin.AppsV1().Deployments("kube-system").Delete(ctx, addon.Name, metav1.DeleteOptions{}); err != nil {
			t.Fatal(err)
		}
	})
	harness.Step(t, "a user without rights changes nothing", func(t *testing.T) {
		r := runAs(t, viewer(t), "migrate", "--chart-repo", repo.URL, "--gateway-api-crds", crdsURL, "--port", port, "--timeout", "20s")
		if r.Code != 1 || !strings.Contains(r.Stderr, `create deployments.apps in namespace "traefik"`) || !strings.Contains(r.Stderr, "nothing was changed") {
			t.Fatalf("%d %s", r.Code, r.Stderr)
		}
		traefikAbsent(t)
		oldServes(t)
	})
	harness.Step(t, "dry run prints the plan and changes nothing", func(t *testing.T) {
		r := migrate("--dry-run")
		if r.Code != 0 || !strings.Contains(r.Stdout, "move floating IP "+floatingIP+" from service ingress-nginx/ingress-nginx-controller") || !strings.Contains(r.Stdout, "compare 2 request(s)") {
			t.Fatalf("%d %s %s", r.Code, r.Stdout, r.Stderr)
		}
		traefikAbsent(t)
	})
	harness.Step(t, "the cloud hands out another IP: detected, reported, rolled back; ingress-nginx serves again", func(t *testing.T) {
		harness.LoseFloatingIPOnce(floatingIP)
		r := migrate()
		if r.Code != 1 || !strings.Contains(r.Stderr, "Traefik's Service got 127.0.0.2, not the floating IP "+floatingIP) || !strings.Contains(r.Stdout, "rolled back: ingress-nginx serves on "+floatingIP+" again") {
			t.Fatalf("%d\n%s\n%s", r.Code, r.Stdout, r.Stderr)
		}
		oldServes(t)
		traefikAbsent(t)
		eventually(t, "the guide's Ingress on the floating IP", func() (bool, string) {
			ing, err := cp.Admin.NetworkingV1().Ingresses("demo").Get(ctx, "demo-ip-ingress", metav1.GetOptions{})
			if err != nil || len(ing.Status.LoadBalancer.Ingress) == 0 {
				return false, fmt.Sprint(err)
			}
			return ing.Status.LoadBalancer.Ingress[0].IP == floatingIP, ing.Status.LoadBalancer.Ingress[0].IP
		})
	})
	harness.Step(t, "the new controller answers otherwise: Traefik is removed again, nothing moved", func(t *testing.T) {
		newDiffers.Store(true)
		defer newDiffers.Store(false)
		r := migrate()
		if r.Code != 1 || !strings.Contains(r.Stdout, "fail demo/demo-ip-ingress /demo (before the move): the old controller answers HTTP 200, the new one HTTP 404") ||
			!strings.Contains(r.Stderr, "Traefik does not answer every Ingress as ingress-nginx does") || !strings.Contains(r.Stdout, "release traefik uninstalled again") {
			t.Fatalf("%d\n%s\n%s", r.Code, r.Stdout, r.Stderr)
		}
		traefikAbsent(t)
		oldServes(t)
	})
	harness.Step(t, "Ctrl-C once the old Service is gone: rolled back, ingress-nginx serves on the IP again", func(t *testing.T) {
		w, err := cp.Admin.CoreV1().Services("ingress-nginx").Watch(ctx, metav1.ListOptions{FieldSelector: "metadata.name=ingress-nginx-controller"})
		if err != nil {
			t.Fatal(err)
		}
		defer w.Stop()
		runCtx, interrupt := context.WithCancel(ctx)
		defer interrupt()
		done := make(chan harness.Result, 1)
		go func() {
			done <- harness.Run(runCtx, helmcmd.NewRoot, cp.AdminKubeconfig, "migrate", "--chart-repo", repo.URL, "--gateway-api-crds", crdsURL, "--port", port, "--timeout", "1m")
		}()
		var r harness.Result
	follow: // the signal comes the moment the move has begun: the old Service is deleted
		for {
			select {
			case ev := <-w.ResultChan():
				if ev.Type == watch.Deleted {
					interrupt()
					r = <-done
					break follow
				}
			case r = <-done:
				t.Fatalf("migrate ended before the move began: %d\n%s\n%s", r.Code, r.Stdout, r.Stderr)
			}
		}
		if r.Code != 130 || !strings.Contains(r.Stdout, "rolled back: ingress-nginx serves on "+floatingIP+" again") {
			t.Fatalf("%d\n%s\n%s", r.Code, r.Stdout, r.Stderr)
		}
		oldServes(t)
		traefikAbsent(t)
	})
	harness.Step(t, "--second-ip: Traefik on another IP, ingress-nginx keeps serving for a DNS switch", func(t *testing.T) {
		r := migrate("--second-ip", secondIP)
		if r.Code != 0 || !strings.Contains(r.Stdout, "external address: "+secondIP) || !strings.Contains(r.Stdout, "next: point DNS at "+secondIP) ||
			!strings.Contains(r.Stdout, "pass demo/shop shop.example.com/cart (before the move)") {
			t.Fatalf("%d\n%s\n%s", r.Code, r.Stdout, r.Stderr)
		}
		oldServes(t)
		st := run(t, "status", "-o", "json")
		var rep helmcmd.StatusReport
		if err := json.Unmarshal([]byte(st.Stdout), &rep); err != nil {
			t.Fatal(err, st.Stdout)
		}
		if rep.Controller.Name != "traefik" || rep.Controller.Address != secondIP || len(rep.Controller.Others) != 1 || rep.Controller.Others[0] != "ingress-nginx" {
			t.Errorf("status with both: %+v", rep.Controller)
		}
		// A Traefik that already serves is not taken over: its DNS switch may be under way.
		if r := migrate(); r.Code != 1 || !strings.Contains(r.Stderr, "Traefik is installed already and serves on "+secondIP) {
			t.Fatalf("%d %s", r.Code, r.Stderr)
		}
		if r := run(t, "delete", "--controller=traefik", "--wait", "--timeout", "1m"); r.Code != 0 || strings.Contains(r.Stdout, "ingressclass nginx deleted") {
			t.Fatalf("removing the second Traefik (the IngressClass ingress-nginx holds stays): %d %s %s", r.Code, r.Stdout, r.Stderr)
		}
		oldServes(t)
		deployIngresses(t) // delete took the demo with it
	})
	harness.Step(t, "migrate: Traefik on the same floating IP, every request answered alike, ingress-nginx gone", func(t *testing.T) {
		r := migrate()
		for _, want := range []string{"pass demo/demo-ip-ingress /demo (before the move): both answer HTTP 200", "Traefik's Service has the floating IP " + floatingIP,
			"pass demo/shop shop.example.com/cart (after the move)", "release ingress-nginx/ingress-nginx uninstalled (IngressClass nginx kept)",
			"kubectl demoingress delete --controller=traefik --wait", "kubectl demoingress install --controller ingress-nginx --load-balancer-ip " + floatingIP + " --keep-floating-ip"} {
			if r.Code != 0 || !strings.Contains(r.Stdout, want) {
				t.Fatalf("missing %q: %d\n%s\n%s", want, r.Code, r.Stdout, r.Stderr)
			}
		}
		svc, err := cp.Admin.CoreV1().Services("traefik").Get(ctx, "traefik", metav1.GetOptions{})
		if err != nil || svc.Spec.LoadBalancerIP != floatingIP || svc.Annotations["loadbalancer.openstack.org/keep-floatingip"] != "true" {
			t.Fatalf("%v %+v", err, svc)
		}
		class, err := cp.Admin.NetworkingV1().IngressClasses().Get(ctx, "nginx", metav1.GetOptions{})
		if err != nil || class.Spec.Controller != "k8s.io/ingress-nginx" {
			t.Fatalf("IngressClass nginx not kept: %v", err)
		}
		st := run(t, "status", "-o", "json")
		var rep helmcmd.StatusReport
		if err := json.Unmarshal([]byte(st.Stdout), &rep); err != nil {
			t.Fatal(err, st.Stdout)
		}
		if rep.Controller.Name != "traefik" || rep.Controller.Address != floatingIP || len(rep.Controller.Others) != 0 || rep.Demo.Address != floatingIP {
			t.Errorf("status after the move: %+v", rep)
		}
	})
}

// cleanUp removes both controllers and their namespaces, for the other tests.
func cleanUp(t *testing.T) {
	ctx := context.Background()
	if r := run(t, "delete", "--controller", "--wait", "--timeout", "1m"); r.Code != 0 {
		t.Errorf("%d %s %s", r.Code, r.Stdout, r.Stderr)
	}
	for _, ns := range []string{"ingress-nginx", "traefik"} {
		if err := cp.Admin.CoreV1().Namespaces().Delete(ctx, ns, metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
			t.Error(err)
		}
	}
	eventually(t, "namespaces gone", func() (bool, string) {
		for _, ns := range []string{"ingress-nginx", "traefik"} {
			if _, err := cp.Admin.CoreV1().Namespaces().Get(ctx, ns, metav1.GetOptions{}); !apierrors.IsNotFound(err) {
				return false, ns
			}
		}
		return true, ""
	})
}

// deployIngresses deploys the guide's demo and a shop's Ingress beside it.
func deployIngresses(t *testing.T) {
	t.Helper()
	if r := run(t, "deploy", "--image", "local/demoweb:1"); r.Code != 0 {
		t.Fatalf("%d %s %s", r.Code, r.Stdout, r.Stderr)
	}
	ing := ingressWith("demo", "shop", map[string]string{"nginx.ingress.kubernetes.io/proxy-body-size": "8m", "nginx.ingress.kubernetes.io/ssl-redirect": "false"})
	if _, err := cp.Admin.NetworkingV1().Ingresses("demo").Create(context.Background(), ing, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
}
