// Package teeprint renders TEE and CoCo readiness reports for people: node tables, check
// tables with fixes, and verdict lines. teecheck and coco print through it.
package teeprint

import (
	"fmt"
	"io"
	"strings"

	"github.com/osc-coco/kubectl-plugins/lib/output"
	"github.com/osc-coco/kubectl-plugins/lib/tee"
	"github.com/osc-coco/kubectl-plugins/lib/tee/hostprobe"
	"github.com/osc-coco/kubectl-plugins/lib/tee/nodecheck"
)

// Printer renders reports for people; Wide adds columns.
type Printer struct {
	W    io.Writer
	P    output.Palette
	Wide bool
	// NoHeaders prints the table's rows only (--no-headers): no header, no notes below it.
	NoHeaders bool
}

// maxProblemNodes bounds the per-node problem list under the table on big clusters.
const maxProblemNodes = 10

// NodeTable prints one row per node, then the problems of nodes that are not ready (all
// problems with Wide), at most maxProblemNodes of them.
func (pr Printer) NodeTable(items []nodecheck.Report) error {
	t := output.Table{Headers: []string{"name", "arch", "tee", "kubelet", "runtime", "cpu", "memory", "worker", "coco"}, NoHeaders: pr.NoHeaders}
	if pr.Wide {
		t.Headers = append(t.Headers, "os-image", "kernel", "instance-type", "kata", "runtime-classes")
	}
	for _, r := range items {
		row := []output.Cell{output.C(r.Name), output.C(r.Architecture), pr.TEECell(r.TEE), output.C(r.KubeletVersion),
			output.C(r.ContainerRuntime), output.C(r.Allocatable.CPU), output.C(output.HumanBytes(r.Allocatable.Memory)), output.C(YesNo(r.Worker)), pr.ReadyCell(r.Ready, r.Confidential)}
		if pr.Wide {
			row = append(row, output.C(r.OSImage), output.C(r.KernelVersion), output.C(Dash(r.InstanceType)), output.C(Dash(r.KataRuntime)),
				output.C(Dash(strings.Join(r.RuntimeClasses, ","))))
		}
		t.Add(row...)
	}
	if err := t.Render(pr.W); err != nil || pr.NoHeaders {
		return err
	}
	shown := 0
	for _, r := range items {
		problems := tee.Failed(r.AllChecks())
		if len(problems) == 0 || r.Ready && !pr.Wide {
			continue
		}
		if shown == maxProblemNodes {
			fmt.Fprintf(pr.W, "\n… and more nodes with problems: see kubectl teecheck node NAME, or -o json\n")
			break
		}
		shown++
		fmt.Fprintf(pr.W, "\n%s:\n", pr.P.Bold(r.Name))
		pr.problemLines(problems)
	}
	return nil
}

func (pr Printer) problemLines(problems []tee.Check) {
	seen := map[string]bool{}
	for _, c := range problems {
		fmt.Fprintf(pr.W, "  %s %s: %s\n", pr.Mark(c.Status), c.ID, c.Message)
		if c.Fix != "" && !seen[c.Fix] {
			seen[c.Fix] = true
			fmt.Fprintf(pr.W, "      fix: %s\n", c.Fix)
		}
	}
}

// NotReadyText colours a "N not ready" count when N > 0.
func NotReadyText(p output.Palette, n int) string {
	s := fmt.Sprintf("%d not ready", n)
	if n > 0 {
		return p.Bad(s)
	}
	return s
}

// NodeDetail prints one node: its facts, its checks (and the host's with --deep), fixes and verdict.
func (pr Printer) NodeDetail(r nodecheck.Report) error {
	fmt.Fprintf(pr.W, "%s %s\n", pr.P.Bold("Node:"), r.Name)
	fmt.Fprintf(pr.W, "  Architecture: %s   OS: %s   Kernel: %s\n", Dash(r.Architecture), Dash(r.OSImage), Dash(r.KernelVersion))
	fmt.Fprintf(pr.W, "  Kubelet: %s   Runtime: %s\n", Dash(r.KubeletVersion), Dash(r.ContainerRuntime))
	fmt.Fprintf(pr.W, "  Allocatable: %s CPU, %s memory   Instance type: %s\n", Dash(r.Allocatable.CPU), Dash(output.HumanBytes(r.Allocatable.Memory)), Dash(r.InstanceType))
	fmt.Fprintf(pr.W, "  TEE: %s (from %s)\n\n", pr.TEECell(r.TEE).Text, r.TEE.Source)
	if err := pr.CheckTable(r.Checks); err != nil {
		return err
	}
	if r.Host != nil {
		fmt.Fprintf(pr.W, "\n%s\n", pr.P.Bold("Host (probe pod):"))
		if err := pr.CheckTable(r.Host.Checks); err != nil {
			return err
		}
	}
	pr.Verdict(r.AllChecks(), r.RuntimeClasses, r.Ready, r.Confidential, r.TEE.Status)
	return nil
}

// HostDetail prints one host report read from root.
func (pr Printer) HostDetail(root string, r hostprobe.Report) error {
	fmt.Fprintf(pr.W, "%s %s\n", pr.P.Bold("Host:"), root)
	fmt.Fprintf(pr.W, "  Architecture: %s   Kernel: %s\n", Dash(r.Architecture), Dash(r.Kernel))
	fmt.Fprintf(pr.W, "  TEE: %s\n\n", pr.TEECell(r.TEE).Text)
	if err := pr.CheckTable(r.Checks); err != nil {
		return err
	}
	pr.Verdict(r.Checks, r.RuntimeClasses, r.Ready, r.Confidential, r.TEE.Status)
	return nil
}

// CheckTable prints checks with their status (and evidence with Wide).
func (pr Printer) CheckTable(checks []tee.Check) error {
	t := output.Table{Headers: []string{"check", "status", "detail"}, NoHeaders: pr.NoHeaders}
	if pr.Wide {
		t.Headers = append(t.Headers, "evidence")
	}
	for _, c := range checks {
		row := []output.Cell{output.C(c.ID), pr.StatusCell(c.Status), output.C(c.Message)}
		if pr.Wide {
			row = append(row, output.C(evidenceText(c.Evidence)))
		}
		t.Add(row...)
	}
	return t.Render(pr.W)
}

// Verdict prints the fixes of failed and warning checks, the runtime classes that fit, and
// the verdict line.
func (pr Printer) Verdict(checks []tee.Check, classes []string, ready, confidential bool, detection tee.Detection) {
	var fixes []tee.Check
	seen := map[string]bool{}
	for _, c := range tee.Failed(checks) {
		if c.Fix != "" && !seen[c.Fix] { // the node's and the host's check may ask for the same fix
			seen[c.Fix] = true
			fixes = append(fixes, c)
		}
	}
	if len(fixes) > 0 {
		fmt.Fprintf(pr.W, "\n%s\n", pr.P.Bold("Fixes:"))
		for _, c := range fixes {
			fmt.Fprintf(pr.W, "  %s %s: %s\n", pr.Mark(c.Status), c.ID, c.Fix)
		}
	}
	fmt.Fprintf(pr.W, "\nRuntime classes that fit: %s\n", Dash(strings.Join(classes, ", ")))
	if ready {
		fmt.Fprintf(pr.W, "Verdict: %s\n", ReadyText(pr.P, confidential, detection))
		return
	}
	n, unknown := 0, 0
	for _, c := range checks {
		switch c.Status {
		case tee.Fail:
			n++
		case tee.Unknown:
			unknown++
		}
	}
	if n == 0 { // not ready on facts that were not reported
		fmt.Fprintf(pr.W, "Verdict: %s (%d fact(s) not reported: cannot tell)\n", pr.P.Bad("not ready for CoCo"), unknown)
		return
	}
	fmt.Fprintf(pr.W, "Verdict: %s (%d check(s) failed)\n", pr.P.Bad("not ready for CoCo"), n)
}

func evidenceText(ev []tee.Evidence) string {
	parts := make([]string, len(ev))
	for i, e := range ev {
		parts[i] = fmt.Sprintf("%s (%s)", e.Value, e.Source)
	}
	return strings.Join(parts, "; ")
}

// TEECell is a coloured table cell for a TEE report.
func (pr Printer) TEECell(r tee.TEEReport) output.Cell {
	s := r.String()
	switch r.Status {
	case tee.Found:
		return output.Cell{Text: s, Paint: pr.P.Good}
	case tee.Undetected:
		return output.Cell{Text: s, Paint: pr.P.Warn}
	}
	return output.C(s)
}

// ReadyText is the verdict of a ready host: only a TEE makes it ready for confidential
// workloads; without one (or with none known) it runs coco-dev, which protects nothing.
func ReadyText(p output.Palette, confidential bool, detection tee.Detection) string {
	switch {
	case confidential:
		return p.Good("ready for CoCo")
	case detection == tee.Undetected:
		return p.Warn("ready, TEE unknown (coco-dev only until NFD labels or --deep find one: not confidential)")
	}
	return p.Warn("ready, no TEE (coco-dev only: not confidential)")
}

// ReadyCell is a coloured "ready"/"ready, no TEE"/"not ready" cell.
func (pr Printer) ReadyCell(ready, confidential bool) output.Cell {
	switch {
	case ready && confidential:
		return output.Cell{Text: "ready", Paint: pr.P.Good}
	case ready:
		return output.Cell{Text: "ready, no TEE", Paint: pr.P.Warn}
	}
	return output.Cell{Text: "not ready", Paint: pr.P.Bad}
}

// StatusCell is a check status with its mark.
func (pr Printer) StatusCell(s tee.Status) output.Cell {
	return output.Cell{Text: pr.markPlain(s) + " " + string(s), Paint: pr.paint(s)}
}

// Mark is a check status's coloured mark (✓ ✗ ! ? -).
func (pr Printer) Mark(s tee.Status) string { return pr.paint(s)(pr.markPlain(s)) }

func (Printer) markPlain(s tee.Status) string {
	switch s {
	case tee.Pass:
		return "✓"
	case tee.Fail:
		return "✗"
	case tee.Warn:
		return "!"
	case tee.Unknown:
		return "?"
	}
	return "-"
}

func (pr Printer) paint(s tee.Status) func(string) string {
	switch s {
	case tee.Pass:
		return pr.P.Good
	case tee.Fail:
		return pr.P.Bad
	case tee.Warn, tee.Unknown:
		return pr.P.Warn
	}
	return pr.P.Faint
}

// YesNo renders a bool for a table.
func YesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

// Dash renders "" as "-".
func Dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
