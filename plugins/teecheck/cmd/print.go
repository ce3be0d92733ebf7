package cmd

import (
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/osc-coco/kubectl-plugins/lib/output"
	"github.com/osc-coco/kubectl-plugins/lib/tee"
	"github.com/osc-coco/kubectl-plugins/lib/tee/nodecheck"
)

// printer renders reports for people.
type printer struct {
	w    io.Writer
	p    output.Palette
	wide bool
}

// maxProblemNodes bounds the per-node problem list under the table on big clusters.
const maxProblemNodes = 10

func (pr printer) nodeTable(l NodeReportList) error {
	t := output.Table{Headers: []string{"name", "arch", "tee", "kubelet", "runtime", "cpu", "memory", "worker", "coco"}}
	if pr.wide {
		t.Headers = append(t.Headers, "os-image", "kernel", "instance-type", "kata", "runtime-classes")
	}
	for _, r := range l.Items {
		row := []output.Cell{output.C(r.Name), output.C(r.Architecture), pr.teeCell(r.TEE), output.C(r.KubeletVersion),
			output.C(r.ContainerRuntime), output.C(r.Allocatable.CPU), output.C(r.Allocatable.Memory), output.C(yesNo(r.Worker)), pr.readyCell(r.Ready)}
		if pr.wide {
			row = append(row, output.C(r.OSImage), output.C(r.KernelVersion), output.C(dash(r.InstanceType)), output.C(dash(r.KataRuntime)),
				output.C(dash(strings.Join(r.RuntimeClasses, ","))))
		}
		t.Add(row...)
	}
	if err := t.Render(pr.w); err != nil {
		return err
	}
	shown := 0
	for _, r := range l.Items {
		problems := tee.Failed(r.AllChecks())
		if len(problems) == 0 || r.Ready && !pr.wide {
			continue
		}
		if shown == maxProblemNodes {
			fmt.Fprintf(pr.w, "\n… and more nodes with problems: see kubectl teecheck node NAME, or -o json\n")
			break
		}
		shown++
		fmt.Fprintf(pr.w, "\n%s:\n", pr.p.Bold(r.Name))
		pr.problemLines(problems)
	}
	fmt.Fprintf(pr.w, "\n%s\n", pr.summary(l.Summary))
	return nil
}

func (pr printer) problemLines(problems []tee.Check) {
	for _, c := range problems {
		fmt.Fprintf(pr.w, "  %s %s: %s\n", pr.mark(c.Status), c.ID, c.Message)
		if c.Fix != "" {
			fmt.Fprintf(pr.w, "      fix: %s\n", c.Fix)
		}
	}
}

func (pr printer) summary(s Summary) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d node(s): %s, %s", s.Nodes, pr.p.Good(fmt.Sprintf("%d ready for CoCo", s.Ready)), notReadyText(pr.p, s.NotReady))
	var tees []string
	for k, n := range s.TEEs {
		tees = append(tees, fmt.Sprintf("%s %d", k, n))
	}
	sort.Strings(tees)
	if s.UnknownTEE > 0 {
		tees = append(tees, fmt.Sprintf("unknown %d (no NFD labels: use --deep or install Node Feature Discovery)", s.UnknownTEE))
	}
	if len(tees) > 0 {
		fmt.Fprintf(&b, "; TEEs: %s", strings.Join(tees, ", "))
	}
	return b.String()
}

func notReadyText(p output.Palette, n int) string {
	s := fmt.Sprintf("%d not ready", n)
	if n > 0 {
		return p.Bad(s)
	}
	return s
}

func (pr printer) nodeDetail(r nodecheck.Report) error {
	fmt.Fprintf(pr.w, "%s %s\n", pr.p.Bold("Node:"), r.Name)
	fmt.Fprintf(pr.w, "  Architecture: %s   OS: %s   Kernel: %s\n", dash(r.Architecture), dash(r.OSImage), dash(r.KernelVersion))
	fmt.Fprintf(pr.w, "  Kubelet: %s   Runtime: %s\n", dash(r.KubeletVersion), dash(r.ContainerRuntime))
	fmt.Fprintf(pr.w, "  Allocatable: %s CPU, %s memory   Instance type: %s\n", dash(r.Allocatable.CPU), dash(r.Allocatable.Memory), dash(r.InstanceType))
	fmt.Fprintf(pr.w, "  TEE: %s (from %s)\n\n", pr.teeCell(r.TEE).Text, r.TEE.Source)
	if err := pr.checkTable(r.Checks); err != nil {
		return err
	}
	if r.Host != nil {
		fmt.Fprintf(pr.w, "\n%s\n", pr.p.Bold("Host (probe pod):"))
		if err := pr.checkTable(r.Host.Checks); err != nil {
			return err
		}
	}
	pr.verdict(r.AllChecks(), r.RuntimeClasses, r.Ready)
	return nil
}

func (pr printer) hostDetail(r HostReport) error {
	fmt.Fprintf(pr.w, "%s %s\n", pr.p.Bold("Host:"), r.Root)
	fmt.Fprintf(pr.w, "  Architecture: %s   Kernel: %s\n", dash(r.Architecture), dash(r.Kernel))
	fmt.Fprintf(pr.w, "  TEE: %s\n\n", pr.teeCell(r.TEE).Text)
	if err := pr.checkTable(r.Checks); err != nil {
		return err
	}
	pr.verdict(r.Checks, r.RuntimeClasses, r.Ready)
	return nil
}

func (pr printer) checkTable(checks []tee.Check) error {
	t := output.Table{Headers: []string{"check", "status", "detail"}}
	if pr.wide {
		t.Headers = append(t.Headers, "evidence")
	}
	for _, c := range checks {
		row := []output.Cell{output.C(c.ID), pr.statusCell(c.Status), output.C(c.Message)}
		if pr.wide {
			row = append(row, output.C(evidenceText(c.Evidence)))
		}
		t.Add(row...)
	}
	return t.Render(pr.w)
}

func (pr printer) verdict(checks []tee.Check, classes []string, ready bool) {
	var fixes []tee.Check
	for _, c := range tee.Failed(checks) {
		if c.Fix != "" {
			fixes = append(fixes, c)
		}
	}
	if len(fixes) > 0 {
		fmt.Fprintf(pr.w, "\n%s\n", pr.p.Bold("Fixes:"))
		for _, c := range fixes {
			fmt.Fprintf(pr.w, "  %s %s: %s\n", pr.mark(c.Status), c.ID, c.Fix)
		}
	}
	fmt.Fprintf(pr.w, "\nRuntime classes that fit: %s\n", dash(strings.Join(classes, ", ")))
	if ready {
		fmt.Fprintf(pr.w, "Verdict: %s\n", pr.p.Good("ready for CoCo"))
		return
	}
	n := 0
	for _, c := range checks {
		if c.Status == tee.Fail {
			n++
		}
	}
	fmt.Fprintf(pr.w, "Verdict: %s (%d check(s) failed)\n", pr.p.Bad("not ready for CoCo"), n)
}

func evidenceText(ev []tee.Evidence) string {
	parts := make([]string, len(ev))
	for i, e := range ev {
		parts[i] = fmt.Sprintf("%s (%s)", e.Value, e.Source)
	}
	return strings.Join(parts, "; ")
}

func (pr printer) teeCell(r tee.TEEReport) output.Cell {
	s := r.String()
	switch r.Status {
	case tee.Found:
		return output.Cell{Text: s, Paint: pr.p.Good}
	case tee.Undetected:
		return output.Cell{Text: s, Paint: pr.p.Warn}
	}
	return output.C(s)
}

func (pr printer) readyCell(ready bool) output.Cell {
	if ready {
		return output.Cell{Text: "ready", Paint: pr.p.Good}
	}
	return output.Cell{Text: "not ready", Paint: pr.p.Bad}
}

func (pr printer) statusCell(s tee.Status) output.Cell {
	return output.Cell{Text: pr.markPlain(s) + " " + string(s), Paint: pr.paint(s)}
}

func (pr printer) mark(s tee.Status) string { return pr.paint(s)(pr.markPlain(s)) }

func (printer) markPlain(s tee.Status) string {
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

func (pr printer) paint(s tee.Status) func(string) string {
	switch s {
	case tee.Pass:
		return pr.p.Good
	case tee.Fail:
		return pr.p.Bad
	case tee.Warn, tee.Unknown:
		return pr.p.Warn
	}
	return pr.p.Faint
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
