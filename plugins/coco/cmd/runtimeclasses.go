package cmd

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"github.com/osc-coco/kubectl-plugins/lib/cli"
	"github.com/osc-coco/kubectl-plugins/lib/kube"
	"github.com/osc-coco/kubectl-plugins/lib/output"
	"github.com/osc-coco/kubectl-plugins/lib/tee/teeprint"
	"github.com/osc-coco/kubectl-plugins/plugins/coco/catalog"
)

// RuntimeClassesOptions lists the runtime classes and the nodes that can run each.
type RuntimeClassesOptions struct {
	clients *kube.Clients // from the flags in Complete; tests set it
	g       *cli.Globals
	out     output.Flags

	printer *output.Printer[catalog.RuntimeClassList]
}

func newRuntimeClassesCommand(g *cli.Globals) *cobra.Command {
	o := &RuntimeClassesOptions{g: g}
	cmd := &cobra.Command{
		Use:     "runtimeclasses",
		Aliases: []string{"runtimeclass", "rc"},
		Short:   "Runtime classes, what each is for, and which nodes can run it",
		Example: `  kubectl coco runtimeclasses
  kubectl coco runtimeclasses -o wide`,
		Args: cli.NoArgs,
		RunE: cli.RunE(o),
	}
	o.out.Named = true
	o.out.AddFlags(cmd)
	return cmd
}

// Complete reads -o and builds the clients.
func (o *RuntimeClassesOptions) Complete([]string) error {
	if err := o.g.NoNamespace("runtime classes and nodes belong to no namespace"); err != nil {
		return err
	}
	var err error
	if o.printer, err = output.ToPrinter(&o.out, o.printHuman); err != nil {
		return err
	}
	return o.g.ClientsInto(&o.clients)
}

// Validate has nothing more to check.
func (o *RuntimeClassesOptions) Validate() error { return nil }

// Run lists runtime classes and nodes (two LISTs) and prints which node can run what.
func (o *RuntimeClassesOptions) Run(ctx context.Context) error {
	l, err := catalog.Gather(ctx, o.clients.Kube)
	if err != nil {
		return err
	}
	return o.printer.Print(o.g.Streams.Out, l)
}

func (o *RuntimeClassesOptions) printHuman(w io.Writer, l catalog.RuntimeClassList) error {
	return PrintRuntimeClassTable(o.g, w, l, o.printer.Format() == output.Wide, o.out.NoHeaders)
}

// PrintRuntimeClassTable is the runtime classes' table (runtimeclasses, and the end of install).
func PrintRuntimeClassTable(g *cli.Globals, w io.Writer, l catalog.RuntimeClassList, wide, noHeaders bool) error {
	if len(l.Items) == 0 {
		_, err := fmt.Fprintln(g.Streams.ErrOut, "No runtime classes found: install CoCo with kubectl coco install")
		return err
	}
	p := g.Palette(w)
	t := output.Table{Headers: []string{"name", "handler", "platform", "tee", "confidential", "nodes", "description"}, NoHeaders: noHeaders}
	if wide {
		t.Headers = append(t.Headers, "overhead", "node-selector", "node-names")
	}
	var homeless []string
	for _, r := range l.Items {
		platform, teeKind, confidential, desc := "-", "-", "?", "not a CoCo runtime class"
		if r.Class != nil {
			platform, teeKind, confidential, desc = teeprint.Dash(strings.Join(r.Class.Arches, ",")), teeprint.Dash(string(r.Class.TEE)), teeprint.YesNo(r.Class.Confidential), r.Class.Description
			if r.Class.Name == "kata-remote" {
				platform = "any (peer pods)"
			}
		}
		nodes := output.Cell{Text: fmt.Sprint(len(r.Nodes)), Paint: p.Good}
		if len(r.UnknownNodes) > 0 {
			nodes.Text += fmt.Sprintf(" (+%d unknown)", len(r.UnknownNodes))
		}
		if len(r.Nodes) == 0 {
			nodes.Paint = p.Bad
			if len(r.UnknownNodes) > 0 {
				nodes.Paint = p.Warn
			} else {
				homeless = append(homeless, r.Name)
			}
		}
		row := []output.Cell{output.C(r.Name), output.C(r.Handler), output.C(platform), output.C(teeKind), output.C(confidential), nodes, output.C(desc)}
		if wide {
			row = append(row, output.C(teeprint.Dash(mapText(r.Overhead))), output.C(teeprint.Dash(mapText(r.NodeSelector))),
				output.C(teeprint.Dash(strings.Join(append(append([]string{}, r.Nodes...), r.UnknownNodes...), ","))))
		}
		t.Add(row...)
	}
	if err := t.Render(w); err != nil {
		return err
	}
	if len(homeless) > 0 {
		if noHeaders { // the rows only on stdout: the note goes to stderr
			w = g.Streams.ErrOut
		}
		fmt.Fprintf(w, "\n%s no node can run %s (no node matches the node selector with the hardware it needs)\n",
			p.Bad("✗"), strings.Join(homeless, ", "))
	}
	return nil
}

func mapText(m map[string]string) string {
	var parts []string
	for k, v := range m {
		parts = append(parts, k+"="+v)
	}
	sort.Strings(parts)
	return strings.Join(parts, ",")
}
