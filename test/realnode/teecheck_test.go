package realnode

import (
	"bytes"
	"context"
	"encoding/json"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/watch"

	"github.com/osc-coco/kubectl-plugins/lib/clierr"
	"github.com/osc-coco/kubectl-plugins/lib/tee"
	"github.com/osc-coco/kubectl-plugins/lib/tee/hostprobe"
	"github.com/osc-coco/kubectl-plugins/lib/tee/nodecheck"
	"github.com/osc-coco/kubectl-plugins/test/harness"
)

func teecheck(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	cmd := exec.Command(filepath.Join(binDir, "kubectl-teecheck"), args...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return out.String(), errOut.String(), code
}

func namespace(t *testing.T, name string) string {
	t.Helper()
	if _, err := cp.Admin.CoreV1().Namespaces().Create(context.Background(), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	return name
}

func podsIn(t *testing.T, ns string) []corev1.Pod {
	t.Helper()
	l, err := cp.Admin.CoreV1().Pods(ns).List(context.Background(), metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return l.Items
}

type checkStatus struct {
	ID     string
	Status tee.Status
}

func statuses(cs []tee.Check) []checkStatus {
	out := make([]checkStatus, len(cs))
	for i, c := range cs {
		out[i] = checkStatus{c.ID, c.Status}
	}
	return out
}

// The probe pod really runs on the real node; what it reads of the host gives the same verdict
// as "kubectl teecheck local" on the same machine.
func TestDeepProbeOnRealNodeMatchesLocal(t *testing.T) {
	ns := namespace(t, "deep-real")
	stdout, stderr, code := teecheck(t, "--kubeconfig", cp.AdminKubeconfig, "node", harness.RealNodeName, "--deep", "-n", ns,
		"--image", harness.BusyboxImage, "--image-pull-policy", "Never", "--timeout", "90s", "-o", "json")
	if code != 0 && code != 1 {
		t.Fatalf("exit %d\n%s\n%s", code, stderr, node.Diagnose())
	}
	var l struct{ Items []nodecheck.Report }
	if err := json.Unmarshal([]byte(stdout), &l); err != nil {
		t.Fatalf("%v\n%s\n%s", err, stdout, stderr)
	}
	if len(l.Items) != 1 || l.Items[0].Host == nil {
		t.Fatalf("no host report: %s\n%s", stdout, stderr)
	}
	deep := *l.Items[0].Host
	t.Logf("probe verdict: ready=%v tee=%s checks=%v", deep.Ready, deep.TEE.String(), statuses(deep.Checks))
	if deep.TEE.Source != "host-probe" {
		t.Errorf("tee source %q", deep.TEE.Source)
	}

	localOut, localErr, localCode := teecheck(t, "local", "-o", "json")
	var local hostprobe.Report
	if err := json.Unmarshal([]byte(localOut), &local); err != nil {
		t.Fatalf("%v\n%s", err, localErr)
	}
	if (localCode == 0) != local.Ready {
		t.Errorf("local exit %d, ready %v", localCode, local.Ready)
	}
	if deep.Architecture != local.Architecture || deep.Kernel != local.Kernel || deep.Ready != local.Ready ||
		deep.TEE.Status != local.TEE.Status || !slices.Equal(deep.TEE.Kinds, local.TEE.Kinds) ||
		!slices.Equal(deep.RuntimeClasses, local.RuntimeClasses) {
		t.Errorf("verdicts differ:\nprobe %+v\nlocal %+v", deep, local)
	}
	if d, lo := statuses(deep.Checks), statuses(local.Checks); !slices.Equal(d, lo) {
		t.Errorf("checks differ:\nprobe %v\nlocal %v", d, lo)
	}
	if pods := podsIn(t, ns); len(pods) != 0 {
		t.Errorf("probe pod left behind: %s", pods[0].Name)
	}
}

// Ctrl-C while the real probe pod runs: the pod is deleted and the command says so.
func TestDeepProbeOnRealNodeInterrupted(t *testing.T) {
	ns := namespace(t, "deep-real-interrupt")
	w, err := cp.Admin.CoreV1().Pods(ns).Watch(context.Background(), metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Stop()
	// The slow image's shell sleeps first, so the probe pod is really running when Ctrl-C comes.
	cmd := exec.Command(filepath.Join(binDir, "kubectl-teecheck"), "--kubeconfig", cp.AdminKubeconfig, "node", harness.RealNodeName, "--deep",
		"-n", ns, "--image", harness.SlowBusyboxImage, "--image-pull-policy", "Never", "--timeout", "2m")
	var errOut bytes.Buffer
	cmd.Stderr = &errOut
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	running := false
	deadline := time.After(60 * time.Second)
	for !running {
		select {
		case ev := <-w.ResultChan():
			if p, ok := ev.Object.(*corev1.Pod); ok && ev.Type == watch.Modified {
				for _, s := range p.Status.ContainerStatuses {
					running = running || s.State.Running != nil
				}
			}
		case <-deadline:
			_ = cmd.Process.Kill()
			t.Fatalf("the probe pod never ran\n%s", node.Diagnose())
		}
	}
	_ = cmd.Process.Signal(syscall.SIGINT)
	err = cmd.Wait()
	ee, ok := err.(*exec.ExitError)
	if !ok || ee.ExitCode() != 130 {
		t.Fatalf("exit %v, want 130\n%s", err, errOut.String())
	}
	if !strings.Contains(errOut.String(), "interrupted; pod "+ns+"/") || !strings.Contains(errOut.String(), "was deleted") {
		t.Errorf("stderr %q", errOut.String())
	}
	if pods := podsIn(t, ns); len(pods) != 0 {
		t.Errorf("probe pod left behind: %s", pods[0].Name)
	}
}

func fixOf(err error) string { return clierr.FixOf(err) }

// The kubelet stops while the probe pod runs: at its --timeout the command says the node is
// unreachable and why, deletes the pod from the API and says that its container may still run
// on the node; once the kubelet is back, it removes that container.
func TestKubeletStoppedDuringProbe(t *testing.T) {
	ns := namespace(t, "deep-kubelet-stopped")
	w, err := cp.Admin.CoreV1().Pods(ns).Watch(context.Background(), metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Stop()
	before, err := node.Tasks()
	if err != nil {
		t.Fatal(err)
	}
	// A running kubelet holds a lease in kube-node-lease (it creates it a few seconds after it
	// registers the node): what the command reads to tell that the kubelet stopped.
	leaseBy := time.Now().Add(60 * time.Second)
	for {
		if _, err := cp.Admin.CoordinationV1().Leases("kube-node-lease").Get(context.Background(), harness.RealNodeName, metav1.GetOptions{}); err == nil {
			break
		}
		if time.Now().After(leaseBy) {
			t.Fatal("the kubelet holds no lease")
		}
		time.Sleep(200 * time.Millisecond)
	}
	cmd := exec.Command(filepath.Join(binDir, "kubectl-teecheck"), "--kubeconfig", cp.AdminKubeconfig, "node", harness.RealNodeName, "--deep",
		"-n", ns, "--image", harness.SlowBusyboxImage, "--image-pull-policy", "Never", "--timeout", "40s")
	var errOut bytes.Buffer
	cmd.Stderr = &errOut
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	running := false
	deadline := time.After(60 * time.Second)
	for !running {
		select {
		case ev := <-w.ResultChan():
			if p, ok := ev.Object.(*corev1.Pod); ok && ev.Type == watch.Modified {
				for _, s := range p.Status.ContainerStatuses {
					running = running || s.State.Running != nil
				}
			}
		case <-deadline:
			_ = cmd.Process.Kill()
			t.Fatalf("the probe pod never ran\n%s", node.Diagnose())
		}
	}
	if err := node.StopKubelet(); err != nil {
		t.Fatal(err)
	}
	restarted := false
	defer func() {
		if !restarted {
			_ = node.StartKubelet(context.Background())
		}
	}()
	err = cmd.Wait()
	ee, ok := err.(*exec.ExitError)
	if !ok || ee.ExitCode() != 1 {
		t.Fatalf("exit %v, want 1\n%s", err, errOut.String())
	}
	for _, want := range []string{"node " + harness.RealNodeName + " is unreachable", "its kubelet has not renewed its lease for", "its container may keep running on the node", "kubectl describe node " + harness.RealNodeName} {
		if !strings.Contains(errOut.String(), want) {
			t.Errorf("stderr does not say %q:\n%s", want, errOut.String())
		}
	}
	if pods := podsIn(t, ns); len(pods) != 0 {
		t.Errorf("probe pod still in the API: %s", pods[0].Name)
	}
	during, err := node.Tasks()
	if err != nil {
		t.Fatal(err)
	}
	if len(during) <= len(before) {
		t.Errorf("no container left running while the kubelet is down (%d tasks before, %d now): the message would be wrong", len(before), len(during))
	}
	restarted = true
	if err := node.StartKubelet(context.Background()); err != nil {
		t.Fatal(err)
	}
	gone := time.Now().Add(90 * time.Second)
	for {
		now, err := node.Tasks()
		if err == nil && len(now) <= len(before) {
			break
		}
		if time.Now().After(gone) {
			t.Fatalf("the kubelet did not remove the probe's container after it came back: %v", now)
		}
		time.Sleep(500 * time.Millisecond)
	}
}

// The API server stops just after the probe pod is created: the command fails within its
// timeout saying the server stopped answering and which pod it could not delete. Run again
// once the server is back, it removes that pod (the kubelet has finished it meanwhile) and
// probes the node: one report, no pod left.
func TestAPIServerStoppedDuringDeepProbe(t *testing.T) {
	ns := namespace(t, "deep-api-outage")
	w, err := cp.Admin.CoreV1().Pods(ns).Watch(context.Background(), metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	args := []string{"--kubeconfig", cp.AdminKubeconfig, "node", harness.RealNodeName, "--deep", "-n", ns,
		"--image", harness.BusyboxImage, "--image-pull-policy", "Never", "-o", "json"}
	cmd := exec.Command(filepath.Join(binDir, "kubectl-teecheck"), append(args, "--timeout", "8s")...)
	var errOut bytes.Buffer
	cmd.Stderr = &errOut
	start := time.Now()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-w.ResultChan():
	case <-time.After(30 * time.Second):
		_ = cmd.Process.Kill()
		t.Fatal("no probe pod appeared")
	}
	w.Stop()
	if err := cp.StopAPIServer(); err != nil {
		t.Fatal(err)
	}
	restarted := false
	defer func() {
		if !restarted {
			_ = cp.StartAPIServer()
		}
	}()
	err = cmd.Wait()
	took := time.Since(start)
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 {
		t.Fatalf("exit %v, want 1\n%s", err, errOut.String())
	}
	// Killed during the wait, or during a request: either way the message says the server is gone.
	if !strings.Contains(errOut.String(), "the API server stopped answering") && !strings.Contains(errOut.String(), "cannot reach the Kubernetes API server") {
		t.Errorf("stderr does not say the API server is gone:\n%s", errOut.String())
	}
	for _, want := range []string{"is left on the server", "kubectl delete pod -n " + ns} {
		if !strings.Contains(errOut.String(), want) {
			t.Errorf("stderr does not say %q:\n%s", want, errOut.String())
		}
	}
	// The timeout, then clean-up against a dead server: client-go retries a read on a reset
	// connection (seen once at 16 s on CI), so the bound here is loose; faults pins --timeout.
	if took > 8*time.Second+12*time.Second {
		t.Errorf("--timeout 8s, took %s", took)
	}
	restarted = true
	if err := cp.StartAPIServer(); err != nil {
		t.Fatal(err)
	}
	left := podsIn(t, ns)
	if len(left) != 1 {
		t.Fatalf("%d pods after the outage, want the one the command could not delete", len(left))
	}
	// The kubelet reports the pod finished once it reaches the server again.
	deadline := time.Now().Add(60 * time.Second)
	for p := left[0]; p.Status.Phase != corev1.PodSucceeded && p.Status.Phase != corev1.PodFailed; {
		if time.Now().After(deadline) {
			t.Fatalf("the leftover pod never finished: %s", p.Status.Phase)
		}
		time.Sleep(200 * time.Millisecond)
		if l := podsIn(t, ns); len(l) == 1 {
			p = l[0]
		}
	}
	stdout, stderr, code := teecheck(t, append(args, "--timeout", "90s")...)
	if code > 1 || !strings.Contains(stderr, "deleted probe pod "+ns+"/"+left[0].Name+" that an earlier run left") {
		t.Fatalf("rerun: exit %d\n%s", code, stderr)
	}
	var l struct{ Items []nodecheck.Report }
	if err := json.Unmarshal([]byte(stdout), &l); err != nil || len(l.Items) != 1 || l.Items[0].Host == nil {
		t.Fatalf("rerun report: %v\n%s", err, stdout)
	}
	if pods := podsIn(t, ns); len(pods) != 0 {
		t.Errorf("pods left after the rerun: %d", len(pods))
	}
}
