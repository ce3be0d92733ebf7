package harness

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/watch"

	"github.com/osc-coco/kubectl-plugins/lib/waitfor"
)

// RealNodeName is the real node's name: the kubelet rejects a loopback node IP, so the API
// server reaches it by hostname (--kubelet-preferred-address-types Hostname), on 127.0.0.1.
const RealNodeName = "localhost"

// Images on the real node (imported from tarballs, so pods use imagePullPolicy Never or
// IfNotPresent).
const (
	PauseImage   = "local/pause:1"
	BusyboxImage = "local/busybox:1"
	// SlowBusyboxImage is a test helper: its sh sleeps 10 minutes before running anything, so a
	// pod stays running until a test interrupts the command that made it.
	SlowBusyboxImage = "local/slow-busybox:1"
)

// RealNode is a containerd + runc + kubelet worker on this machine, joined to the control plane.
type RealNode struct {
	Dir        string
	Socket     string
	containerd *process
	kubelet    *process
	kubeletCmd []string // binary and arguments, to start it again after StopKubelet
	cp         *ControlPlane
	ipForward  []byte          // the host's net.ipv4.ip_forward before the node started
	netnsSeen  map[string]bool // network namespaces that existed before the node started
}

// netnsDir is where containerd 1.6 mounts pod network namespaces (it cannot be moved).
const netnsDir = "/var/run/netns"

func listNetns() map[string]bool {
	out := map[string]bool{}
	entries, _ := os.ReadDir(netnsDir)
	for _, e := range entries {
		out[e.Name()] = true
	}
	return out
}

// removeNetns removes the pod network namespaces this node created: sandboxes are killed, not
// stopped, so containerd never does it, and each namespace would keep the pod's link to the host.
func (n *RealNode) removeNetns() {
	for name := range listNetns() {
		if n.netnsSeen[name] || !strings.HasPrefix(name, "cni-") {
			continue
		}
		p := filepath.Join(netnsDir, name)
		_ = syscall.Unmount(p, syscall.MNT_DETACH)
		_ = os.Remove(p)
	}
}

const ipForward = "/proc/sys/net/ipv4/ip_forward"

// StartNode installs nothing (hack/node-deps.sh does, .ci/run calls it), builds the kubelet and
// the images if needed, starts containerd and the kubelet, and waits until node "localhost" is
// Ready. Pods get an address on a host-only point-to-point link (no route off the machine).
func (cp *ControlPlane) StartNode(ctx context.Context) (n *RealNode, err error) {
	if cp.node != nil {
		return cp.node, nil
	}
	bin, err := Binaries("kubelet")
	if err != nil {
		return nil, err
	}
	images, err := imagesDir()
	if err != nil {
		return nil, err
	}
	for _, tool := range []string{"containerd", "ctr", "runc"} {
		if _, err := exec.LookPath(tool); err != nil {
			return nil, fmt.Errorf("%s not on PATH: run hack/node-deps.sh (Debian packages containerd, runc, containernetworking-plugins)", tool)
		}
	}
	loopback, err := findCNILoopback()
	if err != nil {
		return nil, err
	}
	dir := filepath.Join(cp.Dir, "node")
	n = &RealNode{Dir: dir, Socket: filepath.Join(dir, "containerd.sock"), cp: cp}
	cp.node = n
	defer func() {
		if err != nil {
			_ = n.stop()
			cp.node = nil
		}
	}()
	for _, d := range []string{"cni/bin", "cni/net.d", "kubelet", "pod-logs"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			return nil, err
		}
	}
	data, err := os.ReadFile(loopback)
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(dir, "cni/bin/loopback"), data, 0o755); err != nil {
		return nil, err
	}
	for _, plugin := range []string{"ptp", "host-local"} {
		data, err := os.ReadFile(filepath.Join(filepath.Dir(loopback), plugin))
		if err != nil {
			return nil, fmt.Errorf("CNI plugin %s: %w (hack/node-deps.sh installs containernetworking-plugins)", plugin, err)
		}
		if err := os.WriteFile(filepath.Join(dir, "cni/bin", plugin), data, 0o755); err != nil {
			return nil, err
		}
	}
	// Pods get a point-to-point link to the host with an address from a host-only range, so the
	// kubelet's probes reach them, and no route beyond the host: no pod traffic can leave the
	// machine. ptp turns on IP forwarding; stop restores the host's setting.
	if n.ipForward, err = os.ReadFile(ipForward); err != nil {
		return nil, err
	}
	n.netnsSeen = listNetns()
	conf := fmt.Sprintf(`{"cniVersion": "1.0.0", "name": "host-only", "plugins": [{"type": "loopback"},
  {"type": "ptp", "ipMasq": false, "ipam": {"type": "host-local", "dataDir": %q, "ranges": [[{"subnet": "10.88.7.0/24"}]]}}]}`,
		filepath.Join(dir, "cni/ipam"))
	if err := os.WriteFile(filepath.Join(dir, "cni/net.d/10-host-only.conflist"), []byte(conf), 0o644); err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(dir, "containerd.toml"), []byte(containerdConfig(dir)), 0o644); err != nil {
		return nil, err
	}
	if n.containerd, err = startProcess("containerd", filepath.Join(dir, "containerd.log"), "containerd", "--config", filepath.Join(dir, "containerd.toml")); err != nil {
		return nil, err
	}
	if err := waitForFile(n.Socket, n.containerd, 30*time.Second); err != nil {
		return nil, err
	}
	for _, img := range []string{"pause.tar", "busybox.tar", "slow-busybox.tar", "demoweb.tar", "kata-deploy-standin.tar"} {
		if out, err := n.ctr("images", "import", filepath.Join(images, img)); err != nil {
			return nil, fmt.Errorf("import %s: %v\n%s", img, err, out)
		}
	}
	kubeconfig, err := cp.UserKubeconfig("system:node:"+RealNodeName, "system:nodes")
	if err != nil {
		return nil, err
	}
	ports, err := freePorts(1)
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(dir, "kubelet.yaml"), []byte(kubeletConfig(dir, ports[0])), 0o644); err != nil {
		return nil, err
	}
	n.kubeletCmd = []string{filepath.Join(bin, "kubelet"),
		"--config", filepath.Join(dir, "kubelet.yaml"), "--kubeconfig", kubeconfig, "--hostname-override", RealNodeName,
		"--root-dir", filepath.Join(dir, "kubelet"), "--cert-dir", filepath.Join(dir, "kubelet", "pki")}
	if n.kubelet, err = startProcess("kubelet", filepath.Join(dir, "kubelet.log"), n.kubeletCmd[0], n.kubeletCmd[1:]...); err != nil {
		return nil, err
	}
	if err := cp.waitRealNodeReady(ctx, n); err != nil {
		return nil, err
	}
	return n, nil
}

func containerdConfig(dir string) string {
	return fmt.Sprintf(`version = 2
root = %[1]q
state = %[2]q
[grpc]
  address = %[3]q
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = %[4]q
  # This VM forbids negative oom_score_adj: without this every sandbox fails in runc.
  restrict_oom_score_adj = true
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = %[5]q
    conf_dir = %[6]q
`, filepath.Join(dir, "containerd/root"), filepath.Join(dir, "containerd/state"), filepath.Join(dir, "containerd.sock"),
		PauseImage, filepath.Join(dir, "cni/bin"), filepath.Join(dir, "cni/net.d"))
}

func kubeletConfig(dir string, port int) string {
	return fmt.Sprintf(`apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
cgroupDriver: cgroupfs
failCgroupV1: false
failSwapOn: false
cgroupsPerQOS: false
enforceNodeAllocatable: []
authentication: {anonymous: {enabled: true}, webhook: {enabled: false}}
authorization: {mode: AlwaysAllow}
containerRuntimeEndpoint: unix://%[1]s
address: 127.0.0.1
port: %[2]d
readOnlyPort: 0
healthzPort: 0
podLogsDir: %[3]s
makeIPTablesUtilChains: false
evictionHard: {memory.available: "100Mi", nodefs.available: "1%%", imagefs.available: "1%%"}
localStorageCapacityIsolation: false
`, filepath.Join(dir, "containerd.sock"), port, filepath.Join(dir, "pod-logs"))
}

func findCNILoopback() (string, error) {
	for _, p := range []string{"/usr/lib/cni/loopback", "/opt/cni/bin/loopback"} {
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	return "", fmt.Errorf("CNI loopback plugin not found: run hack/node-deps.sh (Debian package containernetworking-plugins)")
}

func imagesDir() (string, error) {
	root, err := RepoRoot()
	if err != nil {
		return "", err
	}
	var stdout, stderr bytes.Buffer
	cmd := exec.Command("bash", filepath.Join(root, "hack", "images.sh"))
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("hack/images.sh: %v\n%s", err, stderr.String())
	}
	return strings.TrimSpace(stdout.String()), nil
}

func waitForFile(path string, p *process, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		if _, err := os.Stat(path); err == nil {
			return nil
		}
		if p.exited() {
			return fmt.Errorf("%s exited during start-up:\n%s", p.name, p.logTail(20))
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("%s: %s did not appear within %s", p.name, path, limit)
}

func (cp *ControlPlane) waitRealNodeReady(ctx context.Context, n *RealNode) error {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	nodes := cp.Admin.CoreV1().Nodes()
	lw := waitfor.Named(nodes, RealNodeName)
	_, err := waitfor.Until(ctx, lw, &corev1.Node{}, func(ev watch.Event) (bool, error) {
		if n.kubelet.exited() {
			return false, fmt.Errorf("kubelet exited:\n%s", n.kubelet.logTail(20))
		}
		node, ok := ev.Object.(*corev1.Node)
		if !ok {
			return false, nil
		}
		for _, c := range node.Status.Conditions {
			if c.Type == corev1.NodeReady && c.Status == corev1.ConditionTrue {
				return true, nil
			}
		}
		return false, nil
	})
	if err != nil {
		return fmt.Errorf("node %s not Ready: %w\nkubelet:\n%s", RealNodeName, err, n.kubelet.logTail(15))
	}
	return nil
}

// StopKubelet stops the kubelet as a crash or an outage of the node would; containerd and the
// containers it runs stay.
func (n *RealNode) StopKubelet() error {
	_ = n.kubelet.stop(10 * time.Second)
	if n.kubelet.alive() {
		return fmt.Errorf("kubelet (pid %d) still runs", n.kubelet.cmd.Process.Pid)
	}
	return nil
}

// StartKubelet starts a stopped kubelet again and waits until the node is Ready.
func (n *RealNode) StartKubelet(ctx context.Context) error {
	if !n.kubelet.exited() {
		return fmt.Errorf("kubelet is running")
	}
	var err error
	if n.kubelet, err = startProcess("kubelet", filepath.Join(n.Dir, "kubelet-restarted.log"), n.kubeletCmd[0], n.kubeletCmd[1:]...); err != nil {
		return err
	}
	return n.cp.waitRealNodeReady(ctx, n)
}

// ctr runs containerd's CLI against this node's containerd, in the CRI namespace.
func (n *RealNode) ctr(args ...string) (string, error) {
	out, err := exec.Command("ctr", append([]string{"--address", n.Socket, "-n", "k8s.io"}, args...)...).CombinedOutput()
	return string(out), err
}

// Tasks lists the running containers (task ID and PID) of the node.
func (n *RealNode) Tasks() (map[string]int, error) {
	out, err := n.ctr("tasks", "ls")
	if err != nil {
		return nil, fmt.Errorf("ctr tasks ls: %v: %s", err, out)
	}
	tasks := map[string]int{}
	for _, l := range strings.Split(strings.TrimSpace(out), "\n")[1:] {
		f := strings.Fields(l)
		if len(f) >= 2 {
			pid, _ := strconv.Atoi(f[1])
			tasks[f[0]] = pid
		}
	}
	return tasks, nil
}

// stop stops the kubelet, kills and deletes every container (runc shims outlive containerd),
// stops containerd, unmounts what is left under the node's directory, and fails if any process
// of the node survived.
func (n *RealNode) stop() error {
	if n.kubelet != nil {
		_ = n.kubelet.stop(10 * time.Second)
	}
	if len(n.ipForward) > 0 {
		defer func() { _ = os.WriteFile(ipForward, n.ipForward, 0o644) }()
	}
	var pids []int
	if n.containerd != nil && !n.containerd.exited() {
		tasks, _ := n.Tasks()
		for id, pid := range tasks {
			pids = append(pids, pid)
			_, _ = n.ctr("tasks", "kill", "-s", "SIGKILL", id)
		}
		for id := range tasks {
			for range 50 { // a killed task needs a moment before it can be deleted
				if _, err := n.ctr("tasks", "delete", "-f", id); err == nil {
					break
				}
				time.Sleep(100 * time.Millisecond)
			}
		}
		_ = n.containerd.stop(10 * time.Second)
	}
	pids = append(pids, n.shimPids()...)
	for _, pid := range pids {
		_ = syscall.Kill(pid, syscall.SIGKILL)
	}
	n.unmountAll()
	n.removeNetns()
	var alive []string
	for _, pid := range pids {
		if syscall.Kill(pid, 0) == nil && !isZombie(pid) {
			alive = append(alive, strconv.Itoa(pid))
		}
	}
	for _, p := range []*process{n.kubelet, n.containerd} {
		if p != nil && p.alive() {
			alive = append(alive, p.name)
		}
	}
	if left := n.shimPids(); len(left) > 0 {
		alive = append(alive, fmt.Sprintf("shims %v", left))
	}
	if len(alive) > 0 {
		return fmt.Errorf("real node: still running after stop: %s", strings.Join(alive, ", "))
	}
	return nil
}

// shimPids finds containerd shims started for this node (their command line names its socket).
func (n *RealNode) shimPids() []int {
	var out []int
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		cmdline, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err != nil {
			continue
		}
		if bytes.Contains(cmdline, []byte("containerd-shim")) && bytes.Contains(cmdline, []byte(n.Socket)) && !isZombie(pid) {
			out = append(out, pid)
		}
	}
	return out
}

func isZombie(pid int) bool {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return true
	}
	s := string(data)
	i := strings.LastIndexByte(s, ')')
	return i > 0 && i+2 < len(s) && s[i+2] == 'Z'
}

// unmountAll detaches every mount under the node's directory, deepest first.
func (n *RealNode) unmountAll() {
	data, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		return
	}
	var mounts []string
	for _, l := range strings.Split(string(data), "\n") {
		f := strings.Fields(l)
		if len(f) > 4 && strings.HasPrefix(f[4], n.Dir+"/") {
			mounts = append(mounts, f[4])
		}
	}
	sort.Sort(sort.Reverse(sort.StringSlice(mounts)))
	for _, m := range mounts {
		_ = syscall.Unmount(m, syscall.MNT_DETACH)
	}
}

// Diagnose returns the recent kubelet and containerd log lines, for test failure messages.
func (n *RealNode) Diagnose() string {
	var b strings.Builder
	for _, p := range []*process{n.kubelet, n.containerd} {
		if p == nil {
			continue
		}
		fmt.Fprintf(&b, "--- %s:\n", p.name)
		for _, l := range strings.Split(p.logTail(200), "\n") {
			if !strings.Contains(l, "filesystem info") && !strings.Contains(l, "HasDedicatedImageFs") {
				b.WriteString(l + "\n")
			}
		}
	}
	return b.String()
}
