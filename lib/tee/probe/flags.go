package probe

import (
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/osc-coco/kubectl-plugins/lib/clierr"
)

// Flags are the host probe's settings that commands take as flags (--deep, --image,
// --image-pull-policy, --timeout, --parallel; cli.AddProbeFlags binds them).
type Flags struct {
	Deep       bool
	Image      string
	PullPolicy string
	Timeout    time.Duration
	Parallel   int
}

// NewFlags returns the defaults.
func NewFlags() Flags {
	return Flags{Image: DefaultImage, PullPolicy: string(corev1.PullIfNotPresent), Timeout: 2 * time.Minute, Parallel: 4}
}

// Validate checks the values without I/O.
func (f *Flags) Validate() error {
	switch {
	case f.Timeout <= 0:
		return clierr.Usagef("e.g. --timeout 2m", "--timeout must be positive, not %s", f.Timeout)
	case f.Parallel < 1:
		return clierr.Usagef("e.g. --parallel 4", "--parallel must be at least 1, not %d", f.Parallel)
	case f.Image == "":
		return clierr.Usagef("e.g. --image "+DefaultImage, "--image must not be empty")
	}
	switch corev1.PullPolicy(f.PullPolicy) {
	case corev1.PullAlways, corev1.PullIfNotPresent, corev1.PullNever:
		return nil
	}
	return clierr.Usagef("use Always, IfNotPresent or Never", "invalid --image-pull-policy %q", f.PullPolicy)
}

// Options turns the flags into probe options for a namespace.
func (f *Flags) Options(namespace, managedBy string) Options {
	return Options{Timeout: f.Timeout, PodOptions: PodOptions{Namespace: namespace, Image: f.Image,
		PullPolicy: corev1.PullPolicy(f.PullPolicy), ManagedBy: managedBy}}
}
