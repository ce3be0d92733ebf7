package realnode

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/osc-coco/kubectl-plugins/lib/waitfor"
	"github.com/osc-coco/kubectl-plugins/plugins/coco/cmd"
	"github.com/osc-coco/kubectl-plugins/plugins/coco/cmd/cmdutil"
	"github.com/osc-coco/kubectl-plugins/plugins/coco/cmd/helmcmd"
	"github.com/osc-coco/kubectl-plugins/plugins/coco/smoke"
	"github.com/osc-coco/kubectl-plugins/test/harness"
)

func coco(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	cmd := exec.Command(filepath.Join(binDir, "kubectl-coco"), append([]string{"--kubeconfig", cp.AdminKubeconfig}, args...)...)
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

// containerd on the test node has no Kata handler: the smoke test fails fast and quotes the
// kubelet's real event.
func TestSmokeTestMissingHandlerQuotesKubeletEvent(t *testing.T) {
	ns := namespace(t, "smoke-missing")
	runtimeClass(t, "kata-qemu-coco-dev", "kata-qemu-coco-dev")
	_, stderr, code := coco(t, "smoke-test", "-n", ns, "--runtime-class", "kata-qemu-coco-dev", "--node", harness.RealNodeName,
		"--image", harness.BusyboxImage, "--image-pull-policy", "Never", "--timeout", "2m")
	if code != 1 {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	for _, want := range []string{"FailedCreatePodSandBox", `no runtime for "kata-qemu-coco-dev" is configured`, "fix:"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
	if pods := podsIn(t, ns); len(pods) != 0 {
		t.Errorf("pod left behind: %s", pods[0].Name)
	}
}

// A runtime class mapped to plain runc runs, and the report says honestly that it is no VM.
func TestSmokeTestRuncClassIsHonestlyNotAVM(t *testing.T) {
	ns := namespace(t, "smoke-runc")
	runtimeClass(t, "plain-runc", "runc")
	stdout, stderr, code := coco(t, "smoke-test", "-n", ns, "--runtime-class", "plain-runc", "--node", harness.RealNodeName,
		"--image", harness.BusyboxImage, "--image-pull-policy", "Never", "--timeout", "2m", "-o", "json")
	if code != 1 {
		t.Fatalf("exit %d, want 1 (not a VM)\n%s\n%s", code, stderr, node.Diagnose())
	}
	var r smoke.Result
	if err := json.Unmarshal([]byte(stdout), &r); err != nil {
		t.Fatalf("%v: %s", err, stdout)
	}
	if r.GuestVM || r.PodKernel == "" || r.PodKernel != r.NodeKernel || r.Node != harness.RealNodeName || !strings.Contains(r.Verdict, "NOT isolated") {
		t.Errorf("result %+v", r)
	}
	if pods := podsIn(t, ns); len(pods) != 0 {
		t.Errorf("pod left behind: %s", pods[0].Name)
	}
}

// deploy with a class whose handler is runc: the pod really runs on the node, and the report
// says plainly that nothing about it is confidential.
func TestDeployRuncClassRunsButIsNotConfidential(t *testing.T) {
	ns := namespace(t, "deploy-runc")
	runtimeClass(t, "deploy-runc", "runc")
	manifest := filepath.Join(t.TempDir(), "pod.yaml")
	pod := `apiVersion: v1
kind: Pod
metadata: {name: hello}
spec:
  nodeName: ` + harness.RealNodeName + `
  restartPolicy: Never
  automountServiceAccountToken: false
  containers: [{name: c, image: "` + harness.BusyboxImage + `", imagePullPolicy: Never, command: [echo, hello-from-deploy]}]
`
	if err := os.WriteFile(manifest, []byte(pod), 0o600); err != nil {
		t.Fatal(err)
	}
	// The image is the node's own: no registry serves its config, which a restricted policy pins
	// (runc runs no agent to hold it anyway), and no KBS admin API runs (--bind=false).
	stdout, stderr, code := coco(t, "deploy", "-n", ns, "-f", manifest, "--runtime-class", "deploy-runc", "--kbs-url", "http://10.0.0.5:8080",
		"--policy", "allow-all", "--bind=false", "-o", "json")
	var r cmd.DeployReport
	if err := json.Unmarshal([]byte(stdout), &r); err != nil || code != 0 {
		t.Fatalf("exit %d %v\n%s", code, err, stderr)
	}
	if r.Confidential || r.TEE || r.Handler != "runc" || !strings.Contains(r.Verdict, "NOT confidential: no TEE: handler runc is not Kata") {
		t.Fatalf("report %+v", r)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	final, err := waitfor.Pod(ctx, cp.Admin, ns, "hello", func(p *corev1.Pod, _ bool) (bool, error) {
		return p.Status.Phase == corev1.PodSucceeded || p.Status.Phase == corev1.PodFailed, nil
	})
	if err != nil || final.Status.Phase != corev1.PodSucceeded || final.Spec.RuntimeClassName == nil || *final.Spec.RuntimeClassName != "deploy-runc" {
		t.Fatalf("the pod did not run: %v %+v\n%s", err, final, node.Diagnose())
	}
	logs, err := cp.Admin.CoreV1().Pods(ns).GetLogs("hello", &corev1.PodLogOptions{}).DoRaw(ctx)
	if err != nil || strings.TrimSpace(string(logs)) != "hello-from-deploy" {
		t.Fatalf("log %q %v", logs, err)
	}
}

// attest check's worker hop runs a real pod on the real node that reaches the KBS stand-in on
// the node's host-only link (the ptp plugin gives the pods the host as their gateway,
// 10.88.7.1) and gets a challenge; a port nothing listens on is a failed hop with wget's words;
// a KBS that refuses the protocol is named as such.
func TestAttestCheckFromAWorker(t *testing.T) {
	ns := namespace(t, "attest-check")
	pub, _, _ := ed25519.GenerateKey(rand.Reader)
	k := harness.StartKBSStandInAt(t, pub, ":0")
	port := k.URL[strings.LastIndex(k.URL, ":")+1:]
	check := func(url string) (helmcmd.AttestReport, string, int) {
		stdout, stderr, code := coco(t, "attest", "check", "-n", ns, "--kbs-url", url, "--node", harness.RealNodeName,
			"--image", harness.BusyboxImage, "--image-pull-policy", "Never", "--timeout", "90s", "-o", "json")
		var r helmcmd.AttestReport
		if err := json.Unmarshal([]byte(stdout), &r); err != nil {
			t.Fatalf("%v: %s\n%s", err, stdout, stderr)
		}
		return r, stderr, code
	}
	r, stderr, code := check("http://10.88.7.1:" + port)
	hops := map[string]cmdutil.Hop{}
	for _, h := range r.Hops {
		hops[h.Name] = h
	}
	if code != 0 || !r.OK || hops["from-worker"].Status != "pass" || hops["trustee"].Status != "skip" || hops["from-here"].Status != "skip" {
		t.Fatalf("exit %d %+v\n%s\n%s", code, r, stderr, node.Diagnose())
	}
	if k.Requests("POST /kbs/v0/auth") != 1 {
		t.Errorf("the stand-in saw %d auth requests", k.Requests("POST /kbs/v0/auth"))
	}
	r, _, code = check("http://10.88.7.1:1")
	if code != 1 || r.OK || r.Hops[2].Status != "fail" || !strings.Contains(r.Hops[2].Detail, "wget") {
		t.Fatalf("closed port: exit %d %+v", code, r)
	}
	// A KBS of another protocol answers 401: reachable, refusing the Request, not a network problem.
	k.SetProtocol("0.3.0")
	r, _, code = check("http://10.88.7.1:" + port)
	if h := r.Hops[2]; code != 1 || h.Status != "fail" || !strings.Contains(h.Detail, "is reachable from") || !strings.Contains(h.Detail, "answered 401") ||
		!strings.Contains(h.Fix, "speaks protocol 0.4.0") {
		t.Fatalf("another protocol: exit %d %+v", code, h)
	}
	if pods := podsIn(t, ns); len(pods) != 0 {
		t.Errorf("probe pods left: %d", len(pods))
	}
}
