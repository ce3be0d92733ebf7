package cli

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/osc-coco/kubectl-plugins/lib/clierr"
	"github.com/osc-coco/kubectl-plugins/lib/output"
	"github.com/osc-coco/kubectl-plugins/lib/version"
)

// VersionOptions prints the plugin's build information.
type VersionOptions struct {
	g      *Globals
	out    output.Flags
	format output.Format
}

func newVersionCommand(g *Globals) *cobra.Command {
	o := &VersionOptions{g: g, out: output.Flags{Allowed: []output.Format{output.Human, output.JSON, output.YAML}}}
	cmd := &cobra.Command{
		Use:   "version",
		Short: "Print the plugin's version",
		Args:  NoArgs,
		RunE:  RunE(o),
	}
	o.out.AddFlags(cmd)
	return cmd
}

// Complete has nothing to read beyond the flags.
func (o *VersionOptions) Complete([]string) error { return nil }

// Validate checks -o.
func (o *VersionOptions) Validate() error {
	f, err := o.out.Format()
	if err != nil {
		return clierr.Usagef(output.FormatFix, "%v", err)
	}
	o.format = f
	return nil
}

// Run prints the version.
func (o *VersionOptions) Run(context.Context) error {
	info := version.Get(o.g.Plugin)
	if o.format.Structured() {
		return output.Print(o.g.Streams.Out, o.format, info)
	}
	_, err := fmt.Fprintf(o.g.Streams.Out, "kubectl-%s %s (commit %s, built %s, %s, %s)\n", info.Plugin, info.Version,
		orUnknown(info.GitCommit), orUnknown(info.BuildDate), info.GoVersion, info.Platform)
	return err
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}
