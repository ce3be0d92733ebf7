package cli

import (
	"github.com/spf13/cobra"

	"github.com/osc-coco/kubectl-plugins/lib/tee/probe"
)

// AddProbeFlags binds the host probe's settings to a command that can probe.
func AddProbeFlags(cmd *cobra.Command, f *probe.Flags) {
	fs := cmd.Flags()
	fs.BoolVar(&f.Deep, "deep", false, "probe the hosts with a short-lived pod per node (read-only host mounts, CAP_SYSLOG only)")
	fs.StringVar(&f.Image, "image", f.Image, "probe image: any image with a POSIX shell, awk and dmesg (mirror it for air-gapped clusters)")
	fs.StringVar(&f.PullPolicy, "image-pull-policy", f.PullPolicy, "probe image pull policy: Always, IfNotPresent or Never")
	fs.DurationVar(&f.Timeout, "timeout", f.Timeout, "how long to wait for each probe pod to finish")
	fs.IntVar(&f.Parallel, "parallel", f.Parallel, "with --deep: how many nodes to probe at once")
}
