// Package shoot tests kubectl-shoot against the real Gardener API server (in-process) on a real
// kube-apiserver and etcd, seeded with our fixtures: project eco, the guide's machine types and
// the shoots eco-sbx and eco-dev. Where gardenlet would write status, the test writes it.
package shoot

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	gardencorev1beta1 "github.com/gardener/gardener/pkg/apis/core/v1beta1"
	gardencore "github.com/gardener/gardener/pkg/client/core/clientset/versioned"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	cmd "github.com/osc-coco/kubectl-plugins/plugins/shoot/cmd/gardencmd"
	"github.com/osc-coco/kubectl-plugins/test/gardenharness"
	"github.com/osc-coco/kubectl-plugins/test/harness"
)

const (
	ns      = gardenharness.Namespace
	user    = gardenharness.User
	caPEM   = gardenharness.CACommonName
	fixture = "test/fixtures/garden"
)

var (
	garden    *gardenharness.Garden
	core      gardencore.Interface
	userKC    string // the garden kubeconfig of eco-user (context namespace garden-eco)
	gctlHome  string // GCTL_HOME with gardenctl-v2.yaml pointing at userKC
	clusterCA []byte
	// clientCAKey is the key of the shoots' client CA (clusterCA): adminkubeconfig signs with it.
	clientCAKey []byte
)

func TestMain(m *testing.M) { os.Exit(run(m)) }

func run(m *testing.M) int {
	start := time.Now()
	g, err := gardenharness.Start()
	if err != nil {
		fmt.Fprintln(os.Stderr, "garden:", err)
		return 1
	}
	garden = g
	defer func() {
		if err := g.Stop(); err != nil {
			fmt.Fprintln(os.Stderr, "stop:", err)
		}
	}()
	if err := setup(context.Background()); err != nil {
		fmt.Fprintln(os.Stderr, "setup:", err)
		return 1
	}
	fmt.Fprintf(os.Stderr, "garden ready in %s\n", time.Since(start).Round(time.Millisecond))
	return m.Run()
}

func setup(ctx context.Context) error {
	root, err := harness.RepoRoot()
	if err != nil {
		return err
	}
	seeded, err := garden.SeedEco(ctx, filepath.Join(root, fixture))
	if err != nil {
		return err
	}
	core, userKC, clusterCA, clientCAKey = seeded.Core, seeded.UserKubeconfig, seeded.ClusterCA, seeded.ClientCAKey
	gctlHome = filepath.Join(garden.Dir, "garden home")
	if err := os.MkdirAll(gctlHome, 0o700); err != nil {
		return err
	}
	os.Setenv("GCTL_HOME", gctlHome)
	// The machine's ~/.garden (a gardenlogin.yaml there) must not take part.
	os.Setenv("HOME", filepath.Join(garden.Dir, "home"))
	// Fleet reads cache shoot credentials under the user's cache directory: here, not the machine's.
	os.Setenv("XDG_CACHE_HOME", filepath.Join(garden.Dir, "cache"))
	os.Unsetenv("GL_HOME")
	os.Unsetenv("GL_CONFIG_NAME")
	os.Unsetenv("GCTL_CONFIG_NAME")
	return writeGardenConfig(userKC)
}

func writeGardenConfig(kubeconfig string) error {
	cfg := fmt.Sprintf("gardens:\n- identity: fg1\n  kubeconfig: %q\n", kubeconfig)
	return os.WriteFile(filepath.Join(gctlHome, "gardenctl-v2.yaml"), []byte(cfg), 0o600)
}

// setStatus changes a shoot's status as gardenlet would.
func setStatus(ctx context.Context, name string, mutate func(*gardencorev1beta1.Shoot), labels map[string]string) error {
	return gardenharness.SetStatus(ctx, core, name, mutate, labels)
}

// shoot runs "kubectl shoot ARGS" in-process against the garden from the garden config.
func shoot(t *testing.T, args ...string) harness.Result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	return harness.Run(ctx, cmd.NewRoot, "", args...)
}

func shootStdin(t *testing.T, stdin string, args ...string) harness.Result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	return harness.RunStdin(ctx, cmd.NewRoot, stdin, args...)
}

func getShoot(t *testing.T, name string) *gardencorev1beta1.Shoot {
	t.Helper()
	s, err := core.CoreV1beta1().Shoots(ns).Get(context.Background(), name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return s
}
