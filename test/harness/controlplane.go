// Package harness starts real Kubernetes parts for tests: etcd and kube-apiserver on loopback
// with random ports and RBAC, client-certificate users, and kwok for simulated nodes. Stop
// ends every process it started and proves that none is left.
package harness

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// ControlPlane is a running etcd + kube-apiserver.
type ControlPlane struct {
	Dir    string
	Server string
	// AdminKubeconfig is a kubeconfig for user "admin" in group system:masters.
	AdminKubeconfig string
	Admin           kubernetes.Interface
	AdminConfig     *rest.Config

	bin     string
	apiArgs []string
	ca      *ca
	servCA  []byte
	procs   []*process
	kwok    *process
	node    *RealNode
	stopped bool
}

// Options tune Start.
type Options struct {
	// Dir holds data, certificates and logs; a new temporary directory when empty.
	Dir string
	// ExtraAPIServerArgs are appended to kube-apiserver's flags.
	ExtraAPIServerArgs []string
	// ExtraClientCAs (PEM) are trusted for client certificates besides the harness's own CA:
	// a shoot's client CA, so that a kubeconfig Gardener's adminkubeconfig signs works here.
	ExtraClientCAs []byte
}

// Start builds (if needed) and starts etcd and kube-apiserver, and waits until the API server
// is ready.
func Start(opts Options) (cp *ControlPlane, err error) {
	bin, err := Binaries()
	if err != nil {
		return nil, err
	}
	dir := opts.Dir
	if dir == "" {
		if dir, err = os.MkdirTemp("", "kubectl-coco-cp-"); err != nil {
			return nil, err
		}
	} else if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	started := &ControlPlane{Dir: dir, bin: bin}
	cp = started
	defer func() {
		if err != nil { // "return nil, err" has cleared cp: stop what was started
			_ = started.Stop()
		}
	}()
	if cp.ca, err = newCA(); err != nil {
		return nil, err
	}
	caPath := filepath.Join(dir, "client-ca.crt")
	if err := os.WriteFile(caPath, append(append([]byte{}, cp.ca.certPEM...), opts.ExtraClientCAs...), 0o600); err != nil {
		return nil, err
	}
	saKey, saPub := filepath.Join(dir, "sa.key"), filepath.Join(dir, "sa.pub")
	if err := writeServiceAccountKeys(saKey, saPub); err != nil {
		return nil, err
	}
	ports, err := freePorts(3)
	if err != nil {
		return nil, err
	}
	etcdURL := "http://127.0.0.1:" + strconv.Itoa(ports[0])
	peerURL := "http://127.0.0.1:" + strconv.Itoa(ports[1])
	etcd, err := startProcess("etcd", filepath.Join(dir, "etcd.log"), filepath.Join(bin, "etcd"),
		"--data-dir", filepath.Join(dir, "etcd-data"), "--listen-client-urls", etcdURL, "--advertise-client-urls", etcdURL,
		"--listen-peer-urls", peerURL, "--initial-advertise-peer-urls", peerURL, "--initial-cluster", "default="+peerURL,
		"--unsafe-no-fsync", "--quota-backend-bytes", "4294967296", "--log-level", "warn")
	if err != nil {
		return nil, err
	}
	cp.procs = append(cp.procs, etcd)

	certDir := filepath.Join(dir, "certs")
	args := []string{
		"--etcd-servers", etcdURL, "--cert-dir", certDir,
		"--bind-address", "127.0.0.1", "--advertise-address", "127.0.0.1", "--secure-port", strconv.Itoa(ports[2]),
		// The default endpoint reconciler refuses --advertise-address 127.0.0.1 (Kubernetes 1.37 does).
		"--endpoint-reconciler-type", "none",
		// Real nodes are named "localhost": logs and exec reach the kubelet on 127.0.0.1 only.
		"--kubelet-preferred-address-types", "Hostname",
		"--service-cluster-ip-range", "10.0.0.0/24", "--allow-privileged=true",
		"--service-account-issuer", "https://kubernetes.default.svc", "--service-account-key-file", saPub,
		"--service-account-signing-key-file", saKey, "--client-ca-file", caPath,
		"--authorization-mode", "Node,RBAC", "--disable-admission-plugins", "ServiceAccount",
	}
	args = append(args, opts.ExtraAPIServerArgs...)
	cp.apiArgs = args
	api, err := startProcess("kube-apiserver", filepath.Join(dir, "kube-apiserver.log"), filepath.Join(bin, "kube-apiserver"), args...)
	if err != nil {
		return nil, err
	}
	cp.procs = append(cp.procs, api)
	cp.Server = "https://127.0.0.1:" + strconv.Itoa(ports[2])

	if err := cp.waitReady(api, etcd, filepath.Join(certDir, "apiserver.crt"), 90*time.Second); err != nil {
		return nil, err
	}
	if cp.AdminKubeconfig, err = cp.UserKubeconfig("admin", "system:masters"); err != nil {
		return nil, err
	}
	if cp.AdminConfig, err = clientcmd.BuildConfigFromFlags("", cp.AdminKubeconfig); err != nil {
		return nil, err
	}
	// Tests create many objects at once (1,000 nodes in benchmarks): no client-side throttling.
	cp.AdminConfig.QPS, cp.AdminConfig.Burst = 1000, 2000
	if cp.Admin, err = kubernetes.NewForConfig(cp.AdminConfig); err != nil {
		return nil, err
	}
	return cp, nil
}

func (cp *ControlPlane) waitReady(api, etcd *process, servingCert string, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	client := &http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}} //nolint:gosec // readiness only, before the serving cert exists
	for time.Now().Before(deadline) {
		for _, p := range []*process{api, etcd} {
			if p.exited() {
				return fmt.Errorf("%s exited during start-up:\n%s", p.name, p.logTail(20))
			}
		}
		// /readyz is open to anonymous users once the server runs; any answer means it is up.
		if resp, err := client.Get(cp.Server + "/readyz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				data, err := os.ReadFile(servingCert)
				if err != nil {
					return err
				}
				cp.servCA = data
				return nil
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("kube-apiserver not ready after %s:\n%s", limit, api.logTail(20))
}

// UserKubeconfig writes a kubeconfig (mode 0600) for a user authenticated by a client
// certificate, and returns its path. RBAC for the user is the test's to grant.
func (cp *ControlPlane) UserKubeconfig(user string, groups ...string) (string, error) {
	certPEM, keyPEM, err := cp.ca.issue(user, groups)
	if err != nil {
		return "", err
	}
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters["local"] = &clientcmdapi.Cluster{Server: cp.Server, CertificateAuthorityData: cp.servCA}
	cfg.AuthInfos[user] = &clientcmdapi.AuthInfo{ClientCertificateData: certPEM, ClientKeyData: keyPEM}
	cfg.Contexts["local"] = &clientcmdapi.Context{Cluster: "local", AuthInfo: user, Namespace: "default"}
	cfg.CurrentContext = "local"
	path := filepath.Join(cp.Dir, "kubeconfig-"+user)
	if err := clientcmd.WriteToFile(*cfg, path); err != nil {
		return "", err
	}
	return path, os.Chmod(path, 0o600)
}

// StopAPIServer kills kube-apiserver as a crash or a lost machine would (no graceful shutdown:
// its connections break at once; etcd and the data stay); StartAPIServer brings it back on the
// same address with the same certificates.
func (cp *ControlPlane) StopAPIServer() error {
	api := cp.procs[1]
	if err := api.stop(0); err != nil {
		return err
	}
	if api.alive() {
		return fmt.Errorf("kube-apiserver (pid %d) still runs", api.cmd.Process.Pid)
	}
	return nil
}

// StartAPIServer restarts a stopped kube-apiserver and waits until it is ready.
func (cp *ControlPlane) StartAPIServer() error {
	if !cp.procs[1].exited() {
		return fmt.Errorf("kube-apiserver is running")
	}
	api, err := startProcess("kube-apiserver", filepath.Join(cp.Dir, "kube-apiserver-restarted.log"), filepath.Join(cp.bin, "kube-apiserver"), cp.apiArgs...)
	if err != nil {
		return err
	}
	cp.procs[1] = api
	return cp.waitReady(api, cp.procs[0], filepath.Join(cp.Dir, "certs", "apiserver.crt"), 90*time.Second)
}

// HostPort is the API server's address without the scheme (for a FaultProxy).
func (cp *ControlPlane) HostPort() string { return strings.TrimPrefix(cp.Server, "https://") }

// KubeconfigVia copies a kubeconfig with every cluster's server replaced by https://addr (a
// FaultProxy in front of the API server; the serving certificate is for 127.0.0.1 too).
func KubeconfigVia(path, addr string) (string, error) {
	cfg, err := clientcmd.LoadFromFile(path)
	if err != nil {
		return "", err
	}
	for _, c := range cfg.Clusters {
		c.Server = "https://" + addr
	}
	out := path + "-via-" + strings.ReplaceAll(addr, ":", "-")
	if err := clientcmd.WriteToFile(*cfg, out); err != nil {
		return "", err
	}
	return out, os.Chmod(out, 0o600)
}

// Pids returns the process IDs the control plane started (for tests of Stop).
func (cp *ControlPlane) Pids() []int {
	var out []int
	for _, p := range cp.allProcs() {
		out = append(out, p.cmd.Process.Pid)
	}
	return out
}

func (cp *ControlPlane) allProcs() []*process {
	procs := append([]*process{}, cp.procs...)
	if cp.kwok != nil {
		procs = append(procs, cp.kwok)
	}
	return procs
}

// Stop ends kwok, then kube-apiserver (it can hang once etcd is gone), then etcd, and fails if
// any of their processes is still alive afterwards.
func (cp *ControlPlane) Stop() error {
	if cp.stopped {
		return nil
	}
	cp.stopped = true
	var nodeErr error
	if cp.node != nil {
		nodeErr = cp.node.stop()
	}
	if cp.kwok != nil {
		_ = cp.kwok.stop(5 * time.Second)
	}
	for i := len(cp.procs) - 1; i >= 0; i-- {
		_ = cp.procs[i].stop(10 * time.Second)
	}
	for _, p := range cp.allProcs() {
		if p.alive() {
			return fmt.Errorf("%s (pid %d) is still running after stop", p.name, p.cmd.Process.Pid)
		}
	}
	return nodeErr
}

// Cleanup stops everything and removes the directory.
func (cp *ControlPlane) Cleanup() error {
	err := cp.Stop()
	if rmErr := os.RemoveAll(cp.Dir); err == nil {
		err = rmErr
	}
	return err
}

func freePorts(n int) ([]int, error) {
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			l.Close()
		}
	}()
	var ports []int
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

// WaitContext is a context bounded for harness waits.
func WaitContext(d time.Duration) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), d)
}
