package e2e

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/watch"

	"github.com/osc-coco/kubectl-plugins/lib/tee"
	"github.com/osc-coco/kubectl-plugins/lib/version"
	"github.com/osc-coco/kubectl-plugins/test/harness"
)

var e2eNodes = []harness.Node{
	{Name: "e2e-snp", CPU: "16", Memory: "64Gi", Labels: map[string]string{tee.WorkerLabel: "", tee.NFDPrefix + "cpu-security.sev.snp.enabled": "true"}},
	{Name: "e2e-small", CPU: "2", Memory: "4Gi"},
}

func TestTeecheckVersion(t *testing.T) {
	res := plugin(t, "teecheck", nil, "version", "-o", "json")
	if res.code != 0 {
		t.Fatalf("exit %d: %s", res.code, res.stderr)
	}
	var info version.Info
	if err := json.Unmarshal([]byte(res.stdout), &info); err != nil {
		t.Fatal(err)
	}
	if info.Plugin != "teecheck" || info.Version != TestVersion || info.Platform != runtime.GOOS+"/"+runtime.GOARCH {
		t.Errorf("version info %+v", info)
	}
	res = plugin(t, "teecheck", nil, "version")
	if !strings.HasPrefix(res.stdout, "kubectl-teecheck "+TestVersion) {
		t.Errorf("plain version %q", res.stdout)
	}
}

// kubectl teecheck local on this very machine: whatever it has, reported with evidence.
func TestTeecheckLocalOnThisHost(t *testing.T) {
	res := plugin(t, "teecheck", nil, "local", "-o", "json")
	if res.code != 0 && res.code != 1 {
		t.Fatalf("exit %d: %s", res.code, res.stderr)
	}
	var rep struct {
		Kind         string      `json:"kind"`
		Root         string      `json:"root"`
		Architecture string      `json:"architecture"`
		Kernel       string      `json:"kernel"`
		Ready        bool        `json:"ready"`
		Checks       []tee.Check `json:"checks"`
		TEE          tee.TEEReport
	}
	if err := json.Unmarshal([]byte(res.stdout), &rep); err != nil {
		t.Fatalf("%v\n%s", err, res.stdout)
	}
	if rep.Kind != "HostReport" || rep.Root != "/" || rep.Architecture != runtime.GOARCH || rep.Kernel == "" {
		t.Errorf("report header %+v", rep)
	}
	if rep.Ready != (res.code == 0) {
		t.Errorf("ready=%v but exit %d", rep.Ready, res.code)
	}
	if rep.TEE.Status == "" || rep.TEE.Source != "local-host" {
		t.Errorf("tee %+v", rep.TEE)
	}
	ids := map[string]tee.Check{}
	for _, c := range rep.Checks {
		ids[c.ID] = c
	}
	for _, id := range []string{"architecture", "cpu", "memory", "kernel", "kvm", "selinux", "cgroup", "sev-snp", "tdx", "se", "sgx", "nvidia-gpu", "kernel-log"} {
		if _, ok := ids[id]; !ok {
			t.Errorf("no %s check", id)
		}
	}
	// The CPU count the probe read is this machine's.
	if c := ids["cpu"]; c.Status != tee.Unknown && !strings.Contains(c.Message, fmt.Sprintf("%d CPUs", runtime.NumCPU())) {
		t.Errorf("cpu check %q does not show %d CPUs", c.Message, runtime.NumCPU())
	}
	if _, err := os.Stat("/dev/kvm"); (err == nil) != (ids["kvm"].Status == tee.Pass) {
		t.Errorf("kvm check %s disagrees with /dev/kvm (%v)", ids["kvm"].Status, err)
	}
	table := plugin(t, "teecheck", nil, "local", "-o", "wide")
	if !strings.Contains(table.stdout, "EVIDENCE") || !strings.Contains(table.stdout, "Verdict:") {
		t.Errorf("wide table:\n%s", table.stdout)
	}
}

func TestTeecheckLocalHostRoot(t *testing.T) {
	root, _ := harness.RepoRoot()
	hosts := filepath.Join(root, "lib", "tee", "hostprobe", "testdata", "hosts")
	res := plugin(t, "teecheck", nil, "local", "--host-root", filepath.Join(hosts, "snp-host"), "--dmesg", filepath.Join(hosts, "snp-host.dmesg"), "--require", "snp")
	if res.code != 0 {
		t.Fatalf("exit %d\n%s%s", res.code, res.stdout, res.stderr)
	}
	for _, want := range []string{"TEE: sev-snp,sev,sev-es", "SEV firmware 1.55 >= 1.55", "kata-qemu-snp", "Verdict: ready for CoCo"} {
		if !strings.Contains(res.stdout, want) {
			t.Errorf("output lacks %q\n%s", want, res.stdout)
		}
	}
	res = plugin(t, "teecheck", nil, "local", "--host-root", filepath.Join(hosts, "plain-vm"), "--dmesg", filepath.Join(hosts, "plain-vm.dmesg"), "--color", "always")
	if res.code != 1 || !strings.Contains(res.stdout, "\x1b[") {
		t.Errorf("plain VM: exit %d, coloured=%v", res.code, strings.Contains(res.stdout, "\x1b["))
	}
}

func TestTeecheckNodesWithKubeconfigEnv(t *testing.T) {
	res := plugin(t, "teecheck", []string{"KUBECONFIG=" + cp.AdminKubeconfig, "NO_COLOR=1"}, "nodes")
	if res.code != 1 {
		t.Fatalf("exit %d (e2e-small is not ready)\n%s", res.code, res.stderr)
	}
	if !strings.Contains(res.stdout, "e2e-snp") || !strings.Contains(res.stdout, "2 node(s): 1 ready for CoCo, 1 not ready") {
		t.Errorf("output:\n%s", res.stdout)
	}
	res = plugin(t, "teecheck", []string{"KUBECONFIG=" + cp.AdminKubeconfig}, "node", "e2e-snp", "-o", "yaml")
	if res.code != 0 || !strings.Contains(res.stdout, "kind: NodeReportList") {
		t.Errorf("exit %d\n%s", res.code, res.stdout)
	}
}

// A kubeconfig whose user authenticates through an exec credential plugin (as kubelogin and
// gardenlogin do) works.
func TestTeecheckExecCredentialPlugin(t *testing.T) {
	dir := t.TempDir()
	adminCfg, err := os.ReadFile(cp.AdminKubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	cert, key := field(t, adminCfg, "client-certificate-data"), field(t, adminCfg, "client-key-data")
	cred := fmt.Sprintf(`{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"clientCertificateData":%q,"clientKeyData":%q}}`,
		decode(t, cert), decode(t, key))
	plug := filepath.Join(dir, "kubectl-test_login")
	if err := os.WriteFile(plug, []byte("#!/bin/sh\ncat <<'EOF'\n"+cred+"\nEOF\n"), 0o700); err != nil {
		t.Fatal(err)
	}
	kc := strings.Replace(string(adminCfg), "client-certificate-data: "+cert, "exec:\n      apiVersion: client.authentication.k8s.io/v1\n      command: "+plug+"\n      interactiveMode: Never", 1)
	kc = strings.Replace(kc, "    client-key-data: "+key+"\n", "", 1)
	path := filepath.Join(dir, "kubeconfig")
	if err := os.WriteFile(path, []byte(kc), 0o600); err != nil {
		t.Fatal(err)
	}
	res := plugin(t, "teecheck", nil, "--kubeconfig", path, "node", "e2e-snp")
	if res.code != 0 {
		t.Fatalf("exit %d\n%s\nkubeconfig:\n%s", res.code, res.stderr, kc)
	}
}

func field(t *testing.T, data []byte, key string) string {
	t.Helper()
	for _, l := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(l), key+": "); ok {
			return v
		}
	}
	t.Fatalf("no %s in kubeconfig", key)
	return ""
}

func decode(t *testing.T, b64 string) string {
	t.Helper()
	data, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// Ctrl-C (SIGINT) and SIGTERM while the probe pod "runs": the pod is deleted, the exit code
// says interrupted.
func TestTeecheckDeepInterruptedBySignal(t *testing.T) {
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM} {
		t.Run(sig.String(), func(t *testing.T) {
			ctx := context.Background()
			ns := "e2e-signal-" + strings.ToLower(strings.ReplaceAll(sig.String(), " ", "-"))
			if _, err := cp.Admin.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}); err != nil {
				t.Fatal(err)
			}
			w, err := cp.Admin.CoreV1().Pods(ns).Watch(ctx, metav1.ListOptions{})
			if err != nil {
				t.Fatal(err)
			}
			defer w.Stop()
			cmd := exec.Command(filepath.Join(binDir, "kubectl-teecheck"), "--kubeconfig", cp.AdminKubeconfig, "node", "e2e-snp", "--deep", "-n", ns, "--timeout", "2m")
			var errOut bytes.Buffer
			cmd.Stderr = &errOut
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			select {
			case ev := <-w.ResultChan():
				if ev.Type != watch.Added {
					t.Fatalf("first pod event %s", ev.Type)
				}
			case <-time.After(30 * time.Second):
				_ = cmd.Process.Kill()
				t.Fatal("no probe pod appeared")
			}
			_ = cmd.Process.Signal(sig)
			err = cmd.Wait()
			ee, ok := err.(*exec.ExitError)
			if !ok || ee.ExitCode() != 130 {
				t.Fatalf("exit %v, want 130\n%s", err, errOut.String())
			}
			if !strings.Contains(errOut.String(), "interrupted; pod "+ns+"/teecheck-probe-e2e-snp-") || !strings.Contains(errOut.String(), "was deleted") {
				t.Errorf("stderr %q", errOut.String())
			}
			pods, err := cp.Admin.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{})
			if err != nil || len(pods.Items) != 0 {
				t.Errorf("pods left: %v %v", pods, err)
			}
		})
	}
}
