// Package preflight judges a whole cluster against CoCo's prerequisites: the API server's
// version, at least one worker-labelled node that passes every node check, and TEE hardware.
package preflight

import (
	"fmt"
	"sort"
	"strings"

	"github.com/osc-coco/kubectl-plugins/lib/tee"
	"github.com/osc-coco/kubectl-plugins/lib/tee/nodecheck"
)

// APIVersion versions the JSON/YAML schema of coco's reports.
const APIVersion = "coco.osc-coco.io/v1alpha1"

// Report is the cluster verdict ("kubectl coco preflight -o json").
type Report struct {
	APIVersion    string             `json:"apiVersion"`
	Kind          string             `json:"kind"`
	ServerVersion string             `json:"serverVersion"`
	Ready         bool               `json:"ready"`
	Checks        []tee.Check        `json:"checks"`
	Nodes         []nodecheck.Report `json:"nodes"`
}

// LabelWorkersFix is how a user labels a worker with this plugin.
func LabelWorkersFix(node string) string {
	return "label a worker: kubectl coco label-workers " + node
}

// Evaluate judges the cluster. nodes are the node verdicts (with host evidence after --deep).
func Evaluate(serverVersion string, nodes []nodecheck.Report) Report {
	r := Report{APIVersion: APIVersion, Kind: "PreflightReport", ServerVersion: serverVersion, Nodes: nodes}
	if r.Nodes == nil {
		r.Nodes = []nodecheck.Report{}
	}
	for i := range r.Nodes {
		for j, c := range r.Nodes[i].Checks {
			if c.ID == "worker-label" && c.Status == tee.Fail {
				r.Nodes[i].Checks[j].Fix = LabelWorkersFix(r.Nodes[i].Name)
			}
		}
	}
	r.Checks = []tee.Check{serverVersionCheck(serverVersion), workers(r.Nodes), readyWorkers(r.Nodes), hardware(r.Nodes)}
	r.Ready = tee.Ready(r.Checks)
	return r
}

func serverVersionCheck(v string) tee.Check { return tee.KubernetesCheck("API server", v, "/version") }

func names(nodes []nodecheck.Report, keep func(nodecheck.Report) bool) []string {
	var out []string
	for _, n := range nodes {
		if keep(n) {
			out = append(out, n.Name)
		}
	}
	return out
}

func short(list []string) string {
	const most = 5
	if len(list) > most {
		return strings.Join(list[:most], ", ") + fmt.Sprintf(" and %d more", len(list)-most)
	}
	return strings.Join(list, ", ")
}

func workers(nodes []nodecheck.Report) tee.Check {
	c := tee.Check{ID: "worker-nodes"}
	w := names(nodes, func(n nodecheck.Report) bool { return n.Worker })
	c.Evidence = tee.Ev(fmt.Sprintf("%d of %d", len(w), len(nodes)), "nodes labelled "+tee.WorkerLabel)
	if len(w) > 0 {
		c.Status, c.Message = tee.Pass, fmt.Sprintf("%d node(s) labelled %s: %s", len(w), tee.WorkerLabel, short(w))
		return c
	}
	c.Status, c.Message = tee.Fail, "no node is labelled "+tee.WorkerLabel+": CoCo installs its runtime only on worker nodes"
	node := "NODE"
	if len(nodes) > 0 {
		node = nodes[0].Name
	}
	c.Fix = LabelWorkersFix(node)
	return c
}

func readyWorkers(nodes []nodecheck.Report) tee.Check {
	c := tee.Check{ID: "ready-workers"}
	ready := names(nodes, func(n nodecheck.Report) bool { return n.Worker && n.Ready })
	notReady := names(nodes, func(n nodecheck.Report) bool { return n.Worker && !n.Ready })
	switch {
	case len(ready) == 0:
		c.Status, c.Message = tee.Fail, "no worker node passes CoCo's node checks"
		c.Fix = "fix the failed node checks listed below"
		if len(notReady) == 0 {
			c.Fix = "label a node that meets the requirements as a worker"
		}
	case len(notReady) > 0:
		c.Status, c.Message = tee.Warn, fmt.Sprintf("%d worker(s) ready, %d not: %s", len(ready), len(notReady), short(notReady))
		c.Fix = "fix the failed node checks listed below, or CoCo pods cannot run on those workers"
	default:
		c.Status, c.Message = tee.Pass, fmt.Sprintf("every worker (%d) passes CoCo's node checks", len(ready))
	}
	return c
}

func hardware(nodes []nodecheck.Report) tee.Check {
	c := tee.Check{ID: "tee-hardware"}
	kinds := map[tee.Kind][]string{}
	unknown := 0
	for _, n := range nodes {
		if !n.Worker {
			continue
		}
		for _, k := range n.TEE.Kinds {
			kinds[k] = append(kinds[k], n.Name)
		}
		if n.TEE.Status == tee.Undetected {
			unknown++
		}
	}
	var found []string
	for k, ns := range kinds {
		found = append(found, fmt.Sprintf("%s on %s", k, short(ns)))
	}
	sort.Strings(found)
	switch {
	case len(found) > 0:
		c.Status, c.Message = tee.Pass, "TEE found: "+strings.Join(found, "; ")
	case unknown > 0:
		c.Status, c.Message = tee.Unknown, fmt.Sprintf("the TEE of %d worker(s) cannot be told from labels", unknown)
		c.Fix = "run kubectl coco preflight --deep to probe the hosts, or install Node Feature Discovery"
	default:
		c.Status, c.Message = tee.Warn, "no worker has a TEE: only kata-qemu-coco-dev (no confidentiality) or peer pods will run"
		c.Fix = "add workers with AMD SEV-SNP, Intel TDX or IBM Secure Execution, or use peer pods"
	}
	return c
}
