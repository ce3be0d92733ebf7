package cli

import (
	"context"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/osc-coco/kubectl-plugins/lib/output"
	"github.com/osc-coco/kubectl-plugins/lib/version"
)

// VersionOptions prints the plugin's build information.
type VersionOptions struct {
	g       *Globals
	out     output.Flags
	printer *output.Printer[VersionReport]
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

// Complete reads -o.
func (o *VersionOptions) Complete([]string) (err error) {
	o.printer, err = output.ToPrinter(&o.out, printVersion)
	return err
}

// Validate has nothing more to check.
func (o *VersionOptions) Validate() error { return nil }

// Run prints the version.
func (o *VersionOptions) Run(context.Context) error {
	return o.printer.Print(o.g.Streams.Out, VersionReport{APIVersion: o.g.Plugin + ".osc-coco.io/v1alpha1", Kind: "Version", Info: version.Get(o.g.Plugin)})
}

// VersionReport is "version -o json|yaml": the build information, as every report with its
// apiVersion and kind.
type VersionReport struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	version.Info
}

func printVersion(w io.Writer, r VersionReport) error {
	info := r.Info
	_, err := fmt.Fprintf(w, "kubectl-%s %s (commit %s, built %s, %s, %s)\n", info.Plugin, info.Version,
		orUnknown(info.GitCommit), orUnknown(info.BuildDate), info.GoVersion, info.Platform)
	return err
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}
