package podrun

import (
	"context"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// staleLease is how long without a lease renewal (the kubelet renews every 10 s by default)
// counts as a kubelet that stopped reporting.
const staleLease = 25 * time.Second

// NodeUnreachable says why the kubelet of node seems gone, or "" when nothing says so: the node
// controller has set its Ready condition to Unknown, or the kubelet has not renewed its lease in
// kube-node-lease for a while. (Asking the kubelet through nodes/proxy would be quicker, but
// that permission is rare and the path from API server to kubelet fails for other reasons too.)
// A node without a lease says nothing (simulated nodes have none; a new kubelet takes a few
// seconds to create one).
func NodeUnreachable(ctx context.Context, cs kubernetes.Interface, node string) string {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Second)
	defer cancel()
	if n, err := cs.CoreV1().Nodes().Get(ctx, node, metav1.GetOptions{}); err == nil {
		for _, c := range n.Status.Conditions {
			if c.Type == corev1.NodeReady && c.Status == corev1.ConditionUnknown {
				return fmt.Sprintf("its kubelet stopped posting status (Ready is Unknown since %s: %s)", c.LastTransitionTime.UTC().Format(time.RFC3339), c.Message)
			}
		}
	}
	lease, err := cs.CoordinationV1().Leases("kube-node-lease").Get(ctx, node, metav1.GetOptions{})
	if err != nil || lease.Spec.RenewTime == nil {
		return ""
	}
	if age := time.Since(lease.Spec.RenewTime.Time); age > staleLease {
		return fmt.Sprintf("its kubelet has not renewed its lease for %s", age.Round(time.Second))
	}
	return ""
}
