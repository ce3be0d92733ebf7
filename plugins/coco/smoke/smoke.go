// Package smoke builds the CoCo smoke-test pod and judges its result: a pod in a Kata runtime
// class runs in a guest VM, so the kernel it reports differs from its node's.
package smoke

import (
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/osc-coco/kubectl-plugins/lib/podrun"
)

// DefaultImage needs only uname. Mirror it for air-gapped clusters (--image).
const DefaultImage = "docker.io/library/busybox:1.37"

// AppName labels smoke-test pods.
const AppName = "coco-smoke-test"

// PodOptions describe the smoke-test pod.
type PodOptions struct {
	Namespace    string
	RuntimeClass string
	Image        string
	PullPolicy   corev1.PullPolicy
	// Node pins the pod; empty lets the scheduler place it (the RuntimeClass's node selector
	// is merged into the pod by admission).
	Node      string
	Deadline  time.Duration
	ManagedBy string
	// Command is what the pod runs (default uname -r; attest check runs a wget); RuntimeClass
	// "" is the node's default runtime.
	Command []string
}

// Pod builds a pod that prints its kernel release (or runs Command) and exits. It meets the "restricted" Pod
// Security standard, so it runs in any namespace.
func Pod(o PodOptions) *corev1.Pod {
	if o.Image == "" {
		o.Image = DefaultImage
	}
	if o.PullPolicy == "" {
		o.PullPolicy = corev1.PullIfNotPresent
	}
	if len(o.Command) == 0 {
		o.Command = []string{"uname", "-r"}
	}
	var runtimeClass *string
	if o.RuntimeClass != "" {
		runtimeClass = ptr.To(o.RuntimeClass)
	}
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{
			Name:      podrun.Name(AppName),
			Namespace: o.Namespace,
			Labels:    map[string]string{"app.kubernetes.io/name": AppName, "app.kubernetes.io/managed-by": o.ManagedBy},
		},
		Spec: corev1.PodSpec{
			RuntimeClassName:              runtimeClass,
			NodeName:                      o.Node,
			RestartPolicy:                 corev1.RestartPolicyNever,
			ActiveDeadlineSeconds:         ptr.To(int64(o.Deadline.Seconds())),
			TerminationGracePeriodSeconds: ptr.To(int64(1)),
			AutomountServiceAccountToken:  ptr.To(false),
			EnableServiceLinks:            ptr.To(false),
			SecurityContext: &corev1.PodSecurityContext{
				RunAsNonRoot: ptr.To(true), RunAsUser: ptr.To(int64(65534)),
				SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault},
			},
			Containers: []corev1.Container{{
				Name: "uname", Image: o.Image, ImagePullPolicy: o.PullPolicy, Command: o.Command,
				SecurityContext: &corev1.SecurityContext{
					AllowPrivilegeEscalation: ptr.To(false), ReadOnlyRootFilesystem: ptr.To(true),
					Capabilities: &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}},
				},
				Resources: corev1.ResourceRequirements{
					Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("10m"), corev1.ResourceMemory: resource.MustParse("16Mi")},
					Limits:   corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("64Mi")},
				},
			}},
		},
	}
}

// Result is the smoke test's report ("smoke-test -o json|yaml").
type Result struct {
	APIVersion   string `json:"apiVersion"`
	Kind         string `json:"kind"`
	RuntimeClass string `json:"runtimeClass"`
	Namespace    string `json:"namespace"`
	Pod          string `json:"pod"`
	Node         string `json:"node"`
	PodKernel    string `json:"podKernel"`
	NodeKernel   string `json:"nodeKernel"`
	// GuestVM is true when the pod's kernel differs from the node's: it ran in a VM.
	GuestVM bool   `json:"guestVM"`
	Verdict string `json:"verdict"`
	// Error is why the pod gave no verdict (it did not run, or not to its end).
	Error string `json:"error,omitempty"`
}

// Judge compares the kernels.
func Judge(podKernel, nodeKernel string) (guestVM bool, verdict string) {
	podKernel, nodeKernel = strings.TrimSpace(podKernel), strings.TrimSpace(nodeKernel)
	switch {
	case podKernel == "":
		return false, "the pod printed no kernel release"
	case podKernel != nodeKernel:
		return true, "the pod ran in a guest VM: its kernel (" + podKernel + ") is not the node's (" + nodeKernel + ")"
	}
	return false, "the pod ran on the node's own kernel (" + nodeKernel + "): it was NOT isolated in a VM; the runtime class's handler runs plain containers"
}
