package cmd

import (
	"fmt"
	"sort"
	"strings"

	"github.com/osc-coco/kubectl-plugins/lib/output"
	"github.com/osc-coco/kubectl-plugins/lib/tee"
	"github.com/osc-coco/kubectl-plugins/lib/tee/hostprobe"
	"github.com/osc-coco/kubectl-plugins/lib/tee/nodecheck"
	"github.com/osc-coco/kubectl-plugins/lib/tee/teeprint"
)

// APIVersion versions the JSON/YAML schema of teecheck's output (documented in the README).
const APIVersion = "teecheck.osc-coco.io/v1alpha1"

// NodeReportList is printed by "nodes" and "node" with -o json|yaml.
type NodeReportList struct {
	APIVersion string             `json:"apiVersion"`
	Kind       string             `json:"kind"`
	Items      []nodecheck.Report `json:"items"`
	Summary    Summary            `json:"summary"`

	ahead *output.Ahead // the items as the printer encoded them while they were read
}

// Summary counts the verdicts.
type Summary struct {
	Nodes int `json:"nodes"`
	// Ready counts nodes ready for confidential workloads (a TEE and its class fit).
	Ready int `json:"ready"`
	// ReadyNoTEE counts nodes that are ready but run only coco-dev (no TEE, or none known):
	// nothing there is confidential.
	ReadyNoTEE int              `json:"readyNoTEE"`
	NotReady   int              `json:"notReady"`
	TEEs       map[tee.Kind]int `json:"tees"`
	// Unknown counts nodes whose TEE the evidence cannot tell.
	UnknownTEE int `json:"unknownTEE"`
}

func newNodeReportList(items []nodecheck.Report) NodeReportList {
	l := NodeReportList{APIVersion: APIVersion, Kind: "NodeReportList", Items: items, Summary: Summary{TEEs: map[tee.Kind]int{}}}
	if l.Items == nil {
		l.Items = []nodecheck.Report{}
	}
	for _, r := range items {
		l.Summary.Nodes++
		switch {
		case r.Confidential:
			l.Summary.Ready++
		case r.Ready:
			l.Summary.ReadyNoTEE++
		default:
			l.Summary.NotReady++
		}
		for _, k := range r.TEE.Kinds {
			l.Summary.TEEs[k]++
		}
		if r.TEE.Status == tee.Undetected {
			l.Summary.UnknownTEE++
		}
	}
	return l
}

// HostReport is printed by "local" with -o json|yaml.
type HostReport struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	// Root is the host root that was read ("/" for this machine).
	Root string `json:"root"`
	hostprobe.Report
}

// line renders the summary for people.
func (s Summary) line(p output.Palette) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d node(s): %s, ", s.Nodes, p.Good(fmt.Sprintf("%d ready for CoCo", s.Ready)))
	if s.ReadyNoTEE > 0 {
		fmt.Fprintf(&b, "%s, ", p.Warn(fmt.Sprintf("%d ready without a TEE (coco-dev only: not confidential)", s.ReadyNoTEE)))
	}
	b.WriteString(teeprint.NotReadyText(p, s.NotReady))
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

// ObjectNames gives -o name as kubectl names the nodes ("node/NAME"), so the result feeds
// kubectl get, label and cordon.
func (l NodeReportList) ObjectNames() []string {
	out := make([]string, 0, len(l.Items))
	for _, r := range l.Items {
		out = append(out, "node/"+r.Name)
	}
	return out
}

// ListShell, ListLen and ListItem let -o json and yaml write the list item by item.
func (l NodeReportList) ListShell() any {
	l.Items = []nodecheck.Report{}
	return l
}

// ListLen is the number of node reports.
func (l NodeReportList) ListLen() int { return len(l.Items) }

// Ahead is what the printer encoded of the items while they were read, nil if nothing.
func (l NodeReportList) Ahead() *output.Ahead { return l.ahead }

// ListItem is the i-th node report.
func (l NodeReportList) ListItem(i int) any { return &l.Items[i] }
