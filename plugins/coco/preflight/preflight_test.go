package preflight

import (
	"strings"
	"testing"

	"github.com/osc-coco/kubectl-plugins/lib/tee"
	"github.com/osc-coco/kubectl-plugins/lib/tee/nodecheck"
)

func node(name string, worker, ready bool, status tee.Detection, kinds ...tee.Kind) nodecheck.Report {
	r := nodecheck.Report{Name: name, Worker: worker, Ready: ready, TEE: tee.TEEReport{Status: status, Kinds: kinds}}
	if !worker {
		r.Checks = []tee.Check{{ID: "worker-label", Status: tee.Fail, Fix: "kubectl label node " + name}}
	}
	return r
}

func status(r Report, id string) tee.Status {
	for _, c := range r.Checks {
		if c.ID == id {
			return c.Status
		}
	}
	return "absent"
}

func TestEvaluate(t *testing.T) {
	tests := []struct {
		name   string
		server string
		nodes  []nodecheck.Report
		ready  bool
		want   map[string]tee.Status
	}{
		{"snp worker ready", "v1.33.2", []nodecheck.Report{node("a", true, true, tee.Found, tee.SEVSNP), node("cp", false, false, tee.Undetected)}, true,
			map[string]tee.Status{"kubernetes-version": tee.Pass, "worker-nodes": tee.Pass, "ready-workers": tee.Pass, "tee-hardware": tee.Pass}},
		{"no workers", "v1.33.2", []nodecheck.Report{node("a", false, false, tee.Undetected)}, false,
			map[string]tee.Status{"worker-nodes": tee.Fail, "ready-workers": tee.Fail}},
		{"one of two workers ready, no TEE", "v1.30.0", []nodecheck.Report{node("a", true, true, tee.None), node("b", true, false, tee.None)}, true,
			map[string]tee.Status{"ready-workers": tee.Warn, "tee-hardware": tee.Warn}},
		{"old server", "v1.23.4", []nodecheck.Report{node("a", true, true, tee.Undetected)}, false,
			map[string]tee.Status{"kubernetes-version": tee.Fail, "tee-hardware": tee.Unknown}},
		{"empty cluster", "v1.33.2", nil, false, map[string]tee.Status{"worker-nodes": tee.Fail}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := Evaluate(tt.server, tt.nodes)
			if r.Ready != tt.ready {
				t.Errorf("ready = %v, want %v: %+v", r.Ready, tt.ready, tee.Failed(r.Checks))
			}
			for id, want := range tt.want {
				if got := status(r, id); got != want {
					t.Errorf("%s = %s, want %s", id, got, want)
				}
			}
			for _, c := range r.Checks {
				if c.Status == tee.Fail && c.Fix == "" {
					t.Errorf("%s failed without a fix", c.ID)
				}
			}
		})
	}
}

func TestWorkerFixNamesThePlugin(t *testing.T) {
	r := Evaluate("v1.33.2", []nodecheck.Report{node("cp-1", false, false, tee.Undetected)})
	if fix := r.Nodes[0].Checks[0].Fix; fix != "label a worker: kubectl coco label-workers cp-1" {
		t.Errorf("node fix %q", fix)
	}
	for _, c := range r.Checks {
		if c.ID == "worker-nodes" && !strings.Contains(c.Fix, "kubectl coco label-workers cp-1") {
			t.Errorf("cluster fix %q", c.Fix)
		}
	}
}
