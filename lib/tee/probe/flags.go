package probe

import (
	"time"

	"github.com/spf13/pflag"
	corev1 "k8s.io/api/core/v1"

	"github.com/osc-coco/kubectl-plugins/lib/cli"
	"github.com/osc-coco/kubectl-plugins/lib/clierr"
)

// Flags are the host probe's settings that commands take as flags (--deep, --image,
// --image-pull-policy, --timeout, --parallel; AddFlags binds them).
type Flags struct {
	Deep       bool
	Image      string
	PullPolicy string
	Timeout    time.Duration
	Parallel   int
}

// AddFlags binds the settings to a command that can probe.
func (f *Flags) AddFlags(fs *pflag.FlagSet) {
	fs.BoolVar(&f.Deep, "deep", false, "probe the hosts with a short-lived pod per node (read-only host mounts, CAP_SYSLOG only)")
	fs.StringVar(&f.Image, "image", f.Image, "probe image: any image with a POSIX shell, awk and dmesg (mirror it for air-gapped clusters)")
	fs.StringVar(&f.PullPolicy, "image-pull-policy", f.PullPolicy, "probe image pull policy: Always, IfNotPresent or Never")
	fs.DurationVar(&f.Timeout, "timeout", f.Timeout, "how long to wait for each probe pod to finish")
	fs.IntVar(&f.Parallel, "parallel", f.Parallel, "with --deep: how many nodes to probe at once")
}

// NewFlags returns the defaults.
func NewFlags() Flags {
	return Flags{Image: DefaultImage, PullPolicy: string(corev1.PullIfNotPresent), Timeout: 2 * time.Minute, Parallel: 4}
}

// Validate checks the values without I/O.
func (f *Flags) Validate() error {
	if err := cli.CheckTimeout(f.Timeout, "2m"); err != nil {
		return err
	}
	switch {
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
