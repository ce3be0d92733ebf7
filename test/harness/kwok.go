package harness

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/watch"

	"github.com/osc-coco/kubectl-plugins/lib/waitfor"
)

// KwokAnnotation marks the nodes kwok simulates; other nodes (a real kubelet) are left alone.
const KwokAnnotation = "kwok.x-k8s.io/node"

// StartKwok starts the kwok controller, which keeps annotated nodes Ready and moves pods
// bound to them to Running (kwok pods never run anything and never log).
func (cp *ControlPlane) StartKwok() error {
	if cp.kwok != nil {
		return nil
	}
	p, err := startProcess("kwok", filepath.Join(cp.Dir, "kwok.log"), filepath.Join(cp.bin, "kwok"),
		"--kubeconfig", cp.AdminKubeconfig, "--manage-all-nodes=false",
		"--manage-nodes-with-annotation-selector", KwokAnnotation+"=fake",
		"--config", filepath.Join(cp.bin, "kwok-stages.yaml"),
		"--server-address", "127.0.0.1:0", "--node-ip", "10.0.0.1", "--cidr", "10.1.0.0/16")
	if err != nil {
		return err
	}
	cp.kwok = p
	return nil
}

// Node describes a simulated node.
type Node struct {
	Name        string
	Labels      map[string]string
	Arch        string // default amd64
	OSImage     string // default Garden Linux
	Kernel      string
	Kubelet     string // default v1.33.2
	Runtime     string // default containerd://1.7.22
	CPU, Memory string // default 4 and 16Gi
	Unready     bool   // not managed by kwok: no Ready condition ever comes
}

func (n Node) object() *corev1.Node {
	def := func(v, d string) string {
		if v == "" {
			return d
		}
		return v
	}
	res := corev1.ResourceList{
		corev1.ResourceCPU:    resource.MustParse(def(n.CPU, "4")),
		corev1.ResourceMemory: resource.MustParse(def(n.Memory, "16Gi")),
		corev1.ResourcePods:   resource.MustParse("110"),
	}
	labels := map[string]string{"kubernetes.io/hostname": n.Name, "kubernetes.io/os": "linux", "kubernetes.io/arch": def(n.Arch, "amd64")}
	for k, v := range n.Labels {
		labels[k] = v
	}
	ann := map[string]string{KwokAnnotation: "fake"}
	if n.Unready {
		ann = nil
	}
	return &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{Name: n.Name, Labels: labels, Annotations: ann},
		Status: corev1.NodeStatus{
			Capacity: res, Allocatable: res,
			NodeInfo: corev1.NodeSystemInfo{
				Architecture: def(n.Arch, "amd64"), OperatingSystem: "linux", OSImage: def(n.OSImage, "Garden Linux 1877.1"),
				KernelVersion: def(n.Kernel, "6.6.63-gardenlinux-amd64"), KubeletVersion: def(n.Kubelet, "v1.33.2"),
				ContainerRuntimeVersion: def(n.Runtime, "containerd://1.7.22"),
			},
		},
	}
}

// AddNodes creates the nodes (with their status; Node objects accept status on create) and
// waits until kwok has made the managed ones Ready.
func (cp *ControlPlane) AddNodes(ctx context.Context, nodes ...Node) error {
	if err := cp.StartKwok(); err != nil {
		return err
	}
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		firstErr error
		work     = make(chan Node)
	)
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := range work {
				if _, err := cp.Admin.CoreV1().Nodes().Create(ctx, n.object(), metav1.CreateOptions{}); err != nil {
					mu.Lock()
					if firstErr == nil {
						firstErr = fmt.Errorf("create node %s: %w", n.Name, err)
					}
					mu.Unlock()
				}
			}
		}()
	}
	for _, n := range nodes {
		work <- n
	}
	close(work)
	wg.Wait()
	if firstErr != nil {
		return firstErr
	}
	want := map[string]bool{}
	for _, n := range nodes {
		if !n.Unready {
			want[n.Name] = true
		}
	}
	return cp.waitNodesReady(ctx, want)
}

func (cp *ControlPlane) waitNodesReady(ctx context.Context, want map[string]bool) error {
	if len(want) == 0 {
		return nil
	}
	nodes := cp.Admin.CoreV1().Nodes()
	ready := map[string]bool{}
	lw := waitfor.Selected(func(ctx context.Context, o metav1.ListOptions) (runtime.Object, error) { return nodes.List(ctx, o) },
		func(ctx context.Context, o metav1.ListOptions) (watch.Interface, error) { return nodes.Watch(ctx, o) }, "", "")
	_, err := waitfor.Until(ctx, lw, &corev1.Node{}, func(ev watch.Event) (bool, error) {
		n, ok := ev.Object.(*corev1.Node)
		if !ok || !want[n.Name] {
			return false, nil
		}
		for _, c := range n.Status.Conditions {
			if c.Type == corev1.NodeReady && c.Status == corev1.ConditionTrue {
				ready[n.Name] = true
			}
		}
		return len(ready) == len(want), nil
	})
	if err != nil {
		return fmt.Errorf("waiting for %d kwok node(s) to be Ready (%d are): %w\n%s", len(want), len(ready), err, cp.kwok.logTail(10))
	}
	return nil
}

// StopKwok stops the kwok controller; its nodes keep their last status (no controller here
// marks them NotReady). A benchmark stops it so that 5,000 simulated heartbeats do not share
// the machine's cores with what it measures; AddNodes starts it again.
func (cp *ControlPlane) StopKwok() error {
	if cp.kwok == nil {
		return nil
	}
	err := cp.kwok.stop(5 * time.Second)
	cp.kwok = nil
	return err
}
