package harness

import (
	"context"
	"fmt"
	"path/filepath"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// StartControllers runs the real kube-controller-manager and kube-scheduler against the
// control plane, for tests where Deployments must make Pods, Pods must be scheduled, namespaces
// must finish deleting and Services must get endpoints. Stop ends them first.
func (cp *ControlPlane) StartControllers() error {
	if _, err := testbin("controllers"); err != nil {
		return err
	}
	kcmConfig, err := cp.UserKubeconfig("system:kube-controller-manager", "system:masters")
	if err != nil {
		return err
	}
	schedConfig, err := cp.UserKubeconfig("system:kube-scheduler", "system:masters")
	if err != nil {
		return err
	}
	kcm, err := startProcess("kube-controller-manager", filepath.Join(cp.Dir, "kube-controller-manager.log"), filepath.Join(cp.bin, "kube-controller-manager"),
		"--kubeconfig", kcmConfig, "--leader-elect=false", "--secure-port=0", "--use-service-account-credentials=false",
		"--service-account-private-key-file", filepath.Join(cp.Dir, "sa.key"),
		// Simulated nodes are kept Ready by kwok; do not evict their pods on a slow heartbeat.
		"--node-monitor-grace-period", "5m")
	if err != nil {
		return err
	}
	cp.procs = append(cp.procs, kcm)
	sched, err := startProcess("kube-scheduler", filepath.Join(cp.Dir, "kube-scheduler.log"), filepath.Join(cp.bin, "kube-scheduler"),
		"--kubeconfig", schedConfig, "--leader-elect=false", "--secure-port=0")
	if err != nil {
		return err
	}
	cp.procs = append(cp.procs, sched)
	// The controller manager is working once its service-account controller has made "default".
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		for _, p := range []*process{kcm, sched} {
			if p.exited() {
				return fmt.Errorf("%s exited at start:\n%s", p.name, p.logTail(20))
			}
		}
		if _, err := cp.Admin.CoreV1().ServiceAccounts("default").Get(context.Background(), "default", metav1.GetOptions{}); err == nil {
			return nil
		}
		time.Sleep(50 * time.Millisecond) // the harness's own start-up check, as in waitReady
	}
	return fmt.Errorf("kube-controller-manager did not create the default service account within 60s:\n%s", kcm.logTail(20))
}
