package cmd

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/osc-coco/kubectl-plugins/lib/cli"
	"github.com/osc-coco/kubectl-plugins/lib/clierr"
	"github.com/osc-coco/kubectl-plugins/lib/output"
	"github.com/osc-coco/kubectl-plugins/lib/tee"
	"github.com/osc-coco/kubectl-plugins/lib/tee/teeprint"
)

// verdictFlags are the flags of every command that prints a verdict: -o and --require; complete
// resolves the printer of node reports.
type verdictFlags struct {
	out     output.Flags
	Require string

	list    *output.Printer[NodeReportList]
	require tee.Requirement
}

// addFlags declares the flags; named offers -o name (reports on nodes, and a fleet's shoots).
func (v *verdictFlags) addFlags(cmd *cobra.Command, named bool) {
	v.out.Named = named
	v.out.AddFlags(cmd)
	cmd.Flags().StringVar(&v.Require, "require", "", "demand a TEE: snp, tdx, se, sgx, nvidia-cc or any (a node without it is not ready)")
	_ = cmd.RegisterFlagCompletionFunc("require", cobra.FixedCompletions([]string{"snp", "tdx", "se", "sgx", "nvidia-cc", "any"}, cobra.ShellCompDirectiveNoFileComp))
}

func (v *verdictFlags) complete(g *cli.Globals) error {
	var err error
	if v.list, err = output.ToPrinter(&v.out, func(w io.Writer, l NodeReportList) error { return v.printList(g, w, l) }); err != nil {
		return err
	}
	if v.require, err = tee.ParseRequirement(v.Require); err != nil {
		return clierr.Usagef("e.g. --require snp", "%v", err)
	}
	return nil
}

// printList is the table of node reports for people: one node in detail, several in a table
// with the summary.
func (v *verdictFlags) printList(g *cli.Globals, w io.Writer, l NodeReportList) error {
	pr := teeprint.Printer{W: w, P: g.Palette(w), Wide: v.list.Format() == output.Wide, NoHeaders: v.out.NoHeaders}
	switch {
	case len(l.Items) == 0:
		return nil
	case len(l.Items) == 1:
		return pr.NodeDetail(l.Items[0])
	}
	if err := pr.NodeTable(l.Items); err != nil || pr.NoHeaders {
		return err
	}
	_, err := fmt.Fprintf(w, "\n%s\n", l.Summary.line(pr.P))
	return err
}
