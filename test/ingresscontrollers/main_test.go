// Package ingresscontrollers tests kubectl demoingress with the maintained controllers (Traefik,
// Envoy Gateway) and the move off ingress-nginx, against the real kube-apiserver with the real
// kube-controller-manager and scheduler and kwok nodes, our fixture charts of Traefik 41.3.0,
// Envoy Gateway v1.9.0 and ingress-nginx 4.15.1 in a chart repository on loopback, the Gateway
// API install manifest served on loopback, and the LoadBalancerStandIn and GatewayStandIn for
// what cannot run here (the cloud load balancer, the controllers' images). Its own cluster: its
// GatewayClasses and IngressClasses would change what test/demoingress's tests see.
package ingresscontrollers

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/client-go/dynamic"

	"github.com/osc-coco/kubectl-plugins/plugins/demoingress/cmd/helmcmd"
	"github.com/osc-coco/kubectl-plugins/test/harness"
)

var (
	cp      *harness.ControlPlane
	repo    *harness.ChartRepo
	egChart string // oci:// reference of the gateway-helm fixture, published as upstream does
	crdsURL string // the Gateway API install manifest, on loopback
	ctxAll  context.Context
)

func TestMain(m *testing.M) {
	os.Exit(harness.Main(m, &cp, func(ctx context.Context, cp *harness.ControlPlane) error {
		ctxAll = ctx
		if err := cp.StartControllers(); err != nil {
			return err
		}
		if err := cp.AddNodes(ctx, harness.Node{Name: "worker-1"}); err != nil {
			return err
		}
		var dirs []string
		for _, name := range []string{"traefik", "ingress-nginx"} {
			dir, err := harness.TestChart(name)
			if err != nil {
				return err
			}
			dirs = append(dirs, dir)
		}
		var err error
		if repo, err = harness.StartChartRepo(dirs...); err != nil {
			return err
		}
		reg := harness.StartChartRegistry()
		egDir, err := harness.TestChart("gateway-helm")
		if err != nil {
			return err
		}
		if egChart, err = reg.Push(egDir, "envoyproxy"); err != nil {
			return err
		}
		root, err := harness.RepoRoot()
		if err != nil {
			return err
		}
		crds := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			http.ServeFile(w, r, filepath.Join(root, "test", "fixtures", "gateway-api", "crds.yaml"))
		}))
		crdsURL = crds.URL + "/v1.6.1/standard-install.yaml"
		go func() { <-ctx.Done(); repo.Close(); crds.Close(); reg.Close() }()
		harness.LoadBalancerStandIn(ctx, cp.Admin)
		return nil
	}))
}

var gatewaysOnce sync.Once

// startGatewayStandIn starts the GatewayStandIn once the Gateway API CRDs exist (its informers
// would otherwise retry against absent resources).
func startGatewayStandIn(t *testing.T) {
	gatewaysOnce.Do(func() {
		dyn, err := dynamic.NewForConfig(cp.AdminConfig)
		if err != nil {
			t.Fatal(err)
		}
		harness.GatewayStandIn(ctxAll, cp.Admin, dyn)
	})
}

func run(t *testing.T, args ...string) harness.Result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	return harness.Run(ctx, helmcmd.NewRoot, cp.AdminKubeconfig, args...)
}

// viewer may read everything (secrets too) and change nothing: a refusal then comes from the
// permission check before the first change, not from a failed read.
func viewer(t *testing.T) string {
	t.Helper()
	viewerOnce.Do(func() {
		viewerKubeconfig, viewerErr = cp.Grant("viewer", rbacv1.PolicyRule{APIGroups: []string{"*"}, Resources: []string{"*"}, Verbs: []string{"get", "list", "watch"}})
	})
	if viewerErr != nil {
		t.Fatal(viewerErr)
	}
	return viewerKubeconfig
}

var (
	viewerOnce       sync.Once
	viewerKubeconfig string
	viewerErr        error
)

func runAs(t *testing.T, kubeconfig string, args ...string) harness.Result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	return harness.Run(ctx, helmcmd.NewRoot, kubeconfig, args...)
}
