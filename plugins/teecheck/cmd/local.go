package cmd

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/osc-coco/kubectl-plugins/lib/cli"
	"github.com/osc-coco/kubectl-plugins/lib/clierr"
	"github.com/osc-coco/kubectl-plugins/lib/output"
	"github.com/osc-coco/kubectl-plugins/lib/tee"
	"github.com/osc-coco/kubectl-plugins/lib/tee/hostprobe"
	"github.com/osc-coco/kubectl-plugins/lib/tee/teeprint"
)

// LocalOptions runs the host probe's collector and judge on this machine, or on a host root
// mounted at a directory. No cluster is needed.
type LocalOptions struct {
	g *cli.Globals
	verdictFlags
	HostRoot string
	Dmesg    string

	host *output.Printer[HostReport]
}

func newLocalCommand(g *cli.Globals) *cobra.Command {
	o := &LocalOptions{g: g, HostRoot: "/"}
	cmd := &cobra.Command{
		Use:   "local [--host-root DIR]",
		Short: "TEE and CoCo readiness of this machine (no cluster needed)",
		Long: `Reads this machine's /proc, /sys, /dev and kernel log (root, or CAP_SYSLOG, is needed for the
kernel log; without it firmware and module checks are unknown) and judges them with the same
parser as the host probe pod. --host-root reads a host filesystem mounted elsewhere.`,
		Example: `  sudo kubectl teecheck local
  kubectl teecheck local --host-root /mnt/node --dmesg /mnt/node-dmesg.txt -o json`,
		Args: cli.NoArgs,
		RunE: cli.RunE(o),
	}
	o.addFlags(cmd, false)
	cmd.Flags().StringVar(&o.HostRoot, "host-root", o.HostRoot, "root of the host filesystem to read")
	cmd.Flags().StringVar(&o.Dmesg, "dmesg", "", "read kernel log lines from this file instead of /dev/kmsg")
	return cmd
}

// Complete reads the flags and makes paths absolute.
func (o *LocalOptions) Complete([]string) error {
	if err := o.g.NoNamespace("local reads this machine, no cluster"); err != nil {
		return err
	}
	if err := o.complete(o.g); err != nil {
		return err
	}
	var err error
	if o.host, err = output.ToPrinter(&o.out, o.printHuman); err != nil {
		return err
	}
	if o.HostRoot, err = filepath.Abs(o.HostRoot); err != nil {
		return clierr.Usagef("pass a directory", "bad --host-root: %v", err)
	}
	return nil
}

// Validate checks that the host root and dmesg file exist.
func (o *LocalOptions) Validate() error {
	if st, err := os.Stat(o.HostRoot); err != nil || !st.IsDir() {
		return clierr.Usagef("pass the directory where the host's root filesystem is mounted", "--host-root %q is not a directory", o.HostRoot)
	}
	if o.Dmesg != "" {
		if st, err := os.Stat(o.Dmesg); err != nil || st.IsDir() {
			return clierr.Usagef("save the kernel log with: dmesg > FILE", "--dmesg %q is not a readable file", o.Dmesg)
		}
	}
	return nil
}

// Run collects, judges and prints.
func (o *LocalOptions) Run(context.Context) error {
	dump, err := hostprobe.Collect(hostprobe.CollectOptions{Root: o.HostRoot, DmesgFile: o.Dmesg})
	if err != nil {
		return clierr.Failf("", "%v", err)
	}
	ev, err := hostprobe.Parse(bytes.NewReader(dump))
	if err != nil {
		return clierr.Failf("", "%v", err)
	}
	r := hostprobe.Evaluate(ev, "local-host")
	if c := tee.RequirementCheck(o.require, r.TEE); c != nil {
		r.Checks = append(r.Checks, *c)
		r.Ready = tee.Ready(r.Checks)
	}
	rep := HostReport{APIVersion: APIVersion, Kind: "HostReport", Root: o.HostRoot, Report: r}
	if err := o.host.Print(o.g.Streams.Out, rep); err != nil {
		return err
	}
	return cli.Verdict(r.Ready)
}

func (o *LocalOptions) printHuman(w io.Writer, rep HostReport) error {
	return teeprint.Printer{W: w, P: o.g.Palette(w), Wide: o.host.Format() == output.Wide, NoHeaders: o.out.NoHeaders}.HostDetail(rep.Root, rep.Report)
}
