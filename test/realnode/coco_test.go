package realnode

import (
	"bytes"
	"encoding/json"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

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
