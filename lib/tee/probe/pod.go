// Package probe runs the host probe: a short-lived pod pinned to a node that prints
// the node's TEE evidence (hostprobe.Script), read back through the API server and judged by
// hostprobe. RBAC and Pod Security are checked before anything is created.
package probe

import (
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/osc-coco/kubectl-plugins/lib/podrun"
	"github.com/osc-coco/kubectl-plugins/lib/tee/hostprobe"
)

// DefaultImage needs only a POSIX shell with awk, head, cat, uname and dmesg. Air-gapped users
// mirror it and pass --image.
const DefaultImage = "docker.io/library/busybox:1.37"

// Labels and annotations that mark probe pods.
const (
	LabelName      = "app.kubernetes.io/name"
	LabelManagedBy = "app.kubernetes.io/managed-by"
	AnnotationNode = "teecheck.osc-coco.io/node"
	AppName        = "teecheck-probe"
	ContainerName  = "probe"
)

// PodOptions describe one probe pod.
type PodOptions struct {
	Node       string
	Namespace  string
	Image      string
	PullPolicy corev1.PullPolicy
	// Deadline is the pod's activeDeadlineSeconds: the kubelet kills it even if we never return.
	Deadline time.Duration
	// ManagedBy names the command that created it ("kubectl-teecheck").
	ManagedBy string
}

// Pod builds the probe pod with the least it needs. It is not privileged: it runs as root (some
// sysfs files are root-only) with every capability dropped except CAP_SYSLOG (the kernel log,
// when kernel.dmesg_restrict is set), no privilege escalation, the runtime's default seccomp
// profile, a read-only root filesystem, no service account token, no host network, PID or IPC
// namespace. The host's /proc, /sys and /dev are mounted read-only; of /dev it only tests that
// device nodes exist (device access is not granted). hostPath volumes are what makes it need a
// namespace whose Pod Security level is "privileged".
func Pod(o PodOptions) *corev1.Pod {
	if o.Image == "" {
		o.Image = DefaultImage
	}
	if o.PullPolicy == "" {
		o.PullPolicy = corev1.PullIfNotPresent
	}
	hostDir := func(name, path string) (corev1.Volume, corev1.VolumeMount) {
		return corev1.Volume{Name: name, VolumeSource: corev1.VolumeSource{HostPath: &corev1.HostPathVolumeSource{
				Path: path, Type: ptr.To(corev1.HostPathDirectory)}}},
			corev1.VolumeMount{Name: name, MountPath: hostprobe.HostMountPrefix + path, ReadOnly: true}
	}
	var vols []corev1.Volume
	var mounts []corev1.VolumeMount
	for _, m := range []struct{ name, path string }{{"host-proc", "/proc"}, {"host-sys", "/sys"}, {"host-dev", "/dev"}} {
		v, vm := hostDir(m.name, m.path)
		vols, mounts = append(vols, v), append(mounts, vm)
	}
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{
			Name:        podrun.Name(AppName + "-" + o.Node),
			Namespace:   o.Namespace,
			Labels:      map[string]string{LabelName: AppName, LabelManagedBy: o.ManagedBy},
			Annotations: map[string]string{AnnotationNode: o.Node},
		},
		Spec: corev1.PodSpec{
			NodeName:                      o.Node,
			RestartPolicy:                 corev1.RestartPolicyNever,
			ActiveDeadlineSeconds:         ptr.To(int64(o.Deadline.Seconds())),
			TerminationGracePeriodSeconds: ptr.To(int64(1)),
			AutomountServiceAccountToken:  ptr.To(false),
			EnableServiceLinks:            ptr.To(false),
			// Pinned by nodeName, so taints that only the scheduler honours do not matter, but
			// NoExecute taints would evict it: tolerate everything.
			Tolerations: []corev1.Toleration{{Operator: corev1.TolerationOpExists}},
			Containers: []corev1.Container{{
				Name:            ContainerName,
				Image:           o.Image,
				ImagePullPolicy: o.PullPolicy,
				Command:         []string{"sh", "-c", hostprobe.Script(hostprobe.HostMountPrefix)},
				SecurityContext: &corev1.SecurityContext{
					Privileged:               ptr.To(false),
					AllowPrivilegeEscalation: ptr.To(false),
					Capabilities:             &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}, Add: []corev1.Capability{"SYSLOG"}},
					SeccompProfile:           &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault},
					ReadOnlyRootFilesystem:   ptr.To(true),
					RunAsUser:                ptr.To(int64(0)),
					RunAsNonRoot:             ptr.To(false),
				},
				Resources: corev1.ResourceRequirements{
					Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("10m"), corev1.ResourceMemory: resource.MustParse("16Mi")},
					Limits:   corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("64Mi")},
				},
				VolumeMounts:             mounts,
				TerminationMessagePolicy: corev1.TerminationMessageFallbackToLogsOnError,
			}},
			Volumes: vols,
		},
	}
}
