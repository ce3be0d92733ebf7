package e2e

import (
	"bytes"
	"context"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	nodev1 "k8s.io/api/node/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/osc-coco/kubectl-plugins/test/charts"
	"github.com/osc-coco/kubectl-plugins/test/harness"
)

// Ctrl-C (SIGINT) and SIGTERM in the middle of each long command of the built binaries: the exit
// code is 130, the message says what was cleaned up or what stays, and no pod of ours is left.
// (teecheck node --deep has its own test above; shoot's file writes are tested in test/shoot.)
func TestLongCommandsInterruptedBySignal(t *testing.T) {
	ctx := context.Background()
	t.Setenv("XDG_CONFIG_HOME", t.TempDir()) // trustee install's admin key
	rc := &nodev1.RuntimeClass{ObjectMeta: metav1.ObjectMeta{Name: "kata-e2e-signal"}, Handler: "kata-e2e-signal"}
	if _, err := cp.Admin.NodeV1().RuntimeClasses().Create(ctx, rc, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	defer cp.Admin.NodeV1().RuntimeClasses().Delete(ctx, rc.Name, metav1.DeleteOptions{})
	root, err := harness.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	chart, err := charts.SaveCocoChart(t.TempDir(), "0.22.0")
	if err != nil {
		t.Fatal(err)
	}
	if r := plugin(t, "demoingress", nil, "--kubeconfig", cp.AdminKubeconfig, "deploy"); r.code != 0 {
		t.Fatalf("deploy: %d\n%s", r.code, r.stderr)
	}
	defer func() {
		plugin(t, "demoingress", nil, "--kubeconfig", cp.AdminKubeconfig, "delete", "--controller")
		finalizeNamespace(t, "demo")
		finalizeNamespace(t, "ingress-nginx")
	}()

	podIn := func(ns string) func() bool {
		return func() bool {
			pods, err := cp.Admin.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{})
			return err == nil && len(pods.Items) > 0
		}
	}
	nginxChart := filepath.Join(root, "test", "charts", "ingress-nginx")
	repo, err := harness.StartChartRepo(nginxChart)
	if err != nil {
		t.Fatal(err)
	}
	defer repo.Close()
	after := func(seconds float64) func(string) func() bool {
		return func(string) func() bool {
			start := time.Now()
			return func() bool { return time.Since(start).Seconds() > seconds }
		}
	}
	for _, tc := range []struct {
		name    string
		plugin  string
		args    func(ns string) []string
		started func(ns string) func() bool
		says    string
		setup   func(t *testing.T)
	}{
		{"coco smoke-test", "coco", func(ns string) []string {
			return []string{"smoke-test", "-n", ns, "--node", "e2e-snp", "--runtime-class", "kata-e2e-signal", "--timeout", "2m"}
		}, podIn, "was deleted", nil},
		{"coco preflight --deep", "coco", func(ns string) []string {
			return []string{"preflight", "--deep", "-n", ns, "--timeout", "2m"}
		}, podIn, "was deleted", nil},
		{"coco install", "coco", func(string) []string {
			return []string{"install", "--chart", chart, "--timeout", "2m"}
		}, func(string) func() bool {
			return func() bool {
				s, err := cp.Admin.CoreV1().Secrets("coco-system").List(ctx, metav1.ListOptions{LabelSelector: "owner=helm"})
				return err == nil && len(s.Items) > 0
			}
		}, "interrupted", nil},
		// No controllers here: trustee install's Deployments never become available, it waits.
		{"coco trustee install", "coco", func(ns string) []string {
			return []string{"trustee", "install", "-n", ns, "--chart", filepath.Join(root, "test", "charts", "trustee"), "--timeout", "2m"}
		}, func(ns string) func() bool {
			return func() bool {
				s, err := cp.Admin.CoreV1().Secrets(ns).List(ctx, metav1.ListOptions{LabelSelector: "owner=helm"})
				return err == nil && len(s.Items) > 0
			}
		}, "interrupted", nil},
		// The demo is deployed but never becomes ready here (no controllers): verify waits.
		{"demoingress verify", "demoingress", func(string) []string {
			return []string{"verify", "--timeout", "2m"}
		}, func(string) func() bool {
			start := time.Now()
			return func() bool { return time.Since(start) > 3*time.Second } // its signal handler is installed by then, also on a loaded machine
		}, "interrupted", nil},
		// No Job controller and no load balancer here: install waits (the chart's pre-install hook Job).
		{"demoingress install", "demoingress", func(string) []string {
			// --force: the interrupted run before it left its release pending, and is known to be gone.
			return []string{"install", "--controller", "ingress-nginx", "--chart-repo", repo.URL, "--timeout", "2m", "--force"}
		}, after(2), "interrupted", nil},
		// A node kata-deploy never cleans (no stand-in here): uninstall waits for its label to go.
		{"coco uninstall", "coco", func(string) []string {
			return []string{"uninstall", "--timeout", "2m"}
		}, after(2), "interrupted", func(t *testing.T) {
			finalizeNamespace(t, "coco-system")
			// The install itself times out (no kata-deploy here to label nodes) but leaves the release.
			plugin(t, "coco", nil, "--kubeconfig", cp.AdminKubeconfig, "install", "--chart", chart, "--timeout", "3s")
			if s, err := cp.Admin.CoreV1().Secrets("coco-system").List(ctx, metav1.ListOptions{LabelSelector: "owner=helm,status=deployed"}); err != nil || len(s.Items) == 0 {
				t.Fatalf("no deployed release to uninstall: %v", err)
			}
			patch := []byte(`{"metadata":{"labels":{"katacontainers.io/kata-runtime":"true"}}}`)
			if _, err := cp.Admin.CoreV1().Nodes().Patch(ctx, "e2e-snp", types.MergePatchType, patch, metav1.PatchOptions{}); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() {
				unlabel := []byte(`{"metadata":{"labels":{"katacontainers.io/kata-runtime":null}}}`)
				_, _ = cp.Admin.CoreV1().Nodes().Patch(ctx, "e2e-snp", types.MergePatchType, unlabel, metav1.PatchOptions{})
			})
		}},
		// Then its deletion: the namespace stays terminating here (no namespace controller).
		{"demoingress delete --wait", "demoingress", func(string) []string {
			return []string{"delete", "--wait", "--timeout", "2m"}
		}, func(string) func() bool {
			start := time.Now() // and the signal handler is surely installed
			return func() bool {
				n, err := cp.Admin.CoreV1().Namespaces().Get(ctx, "demo", metav1.GetOptions{})
				return err == nil && n.DeletionTimestamp != nil && time.Since(start) > time.Second
			}
		}, "interrupted", nil},
	} {
		for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM} {
			t.Run(tc.name+"/"+sig.String(), func(t *testing.T) {
				ns := "e2e-sig-" + strings.ToLower(strings.NewReplacer(" ", "-", "--", "").Replace(tc.name)) + "-" + map[syscall.Signal]string{syscall.SIGINT: "int", syscall.SIGTERM: "term"}[sig]
				if _, err := cp.Admin.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}); err != nil {
					t.Fatal(err)
				}
				if tc.setup != nil {
					tc.setup(t)
				}
				cmd := exec.Command(filepath.Join(binDir, "kubectl-"+tc.plugin), append([]string{"--kubeconfig", cp.AdminKubeconfig}, tc.args(ns)...)...)
				var errOut bytes.Buffer
				cmd.Stderr = &errOut
				if err := cmd.Start(); err != nil {
					t.Fatal(err)
				}
				started := tc.started(ns)
				deadline := time.Now().Add(time.Minute)
				for !started() {
					if time.Now().After(deadline) {
						_ = cmd.Process.Kill()
						t.Fatalf("%s did not get going:\n%s", tc.name, errOut.String())
					}
					time.Sleep(20 * time.Millisecond)
				}
				_ = cmd.Process.Signal(sig)
				err := cmd.Wait()
				ee, ok := err.(*exec.ExitError)
				if !ok || ee.ExitCode() != 130 {
					t.Fatalf("exit %v, want 130\n%s", err, errOut.String())
				}
				if !strings.Contains(errOut.String(), tc.says) {
					t.Errorf("stderr does not say %q:\n%s", tc.says, errOut.String())
				}
				if pods, err := cp.Admin.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{}); err != nil || len(pods.Items) != 0 {
					t.Errorf("pods left in %s: %d %v", ns, len(pods.Items), err)
				}
				if tc.name == "coco trustee install" {
					// The release stays (the message says so); uninstall removes it and the key Secret.
					if r := plugin(t, "coco", nil, "--kubeconfig", cp.AdminKubeconfig, "trustee", "uninstall", "-n", ns); r.code != 0 {
						t.Fatalf("uninstall after the interrupted install: %d\n%s", r.code, r.stderr)
					}
				}
				if tc.plugin == "coco" && tc.args("")[0] == "install" {
					// The release stays (the message says so); remove it for the next run.
					if r := plugin(t, "coco", nil, "--kubeconfig", cp.AdminKubeconfig, "uninstall", "--timeout", "1m"); r.code != 0 {
						t.Fatalf("uninstall after the interrupted install: %d\n%s", r.code, r.stderr)
					}
					finalizeNamespace(t, "coco-system")
				}
			})
		}
	}
}

// finalizeNamespace plays the namespace controller (this control plane runs none) for a
// namespace being deleted: it clears the finalizers so that the API server removes it.
func finalizeNamespace(t *testing.T, name string) {
	t.Helper()
	ns, err := cp.Admin.CoreV1().Namespaces().Get(context.Background(), name, metav1.GetOptions{})
	if err != nil {
		return
	}
	ns.Spec.Finalizers = nil
	if _, err := cp.Admin.CoreV1().Namespaces().Finalize(context.Background(), ns, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
}
