package bench

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// floorNodes is the cluster size of BenchmarkNodesFloor (issue #29 item 4: 5,000 nodes);
// FLOOR_NODES overrides it for a quicker look.
func floorNodes(b *testing.B) int {
	s := os.Getenv("FLOOR_NODES")
	if s == "" {
		return 5000
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 {
		b.Fatalf("FLOOR_NODES=%q: want a positive number", s)
	}
	return n
}

// BenchmarkNodesFloor holds every output of "kubectl teecheck nodes" against the floor, one raw
// LIST of the nodes by kubectl (kubectl get --raw /api/v1/nodes), as processes and in pairs: a
// floor run, then a teecheck run, b.N times. It reports each side's median wall time and worst
// peak RSS and their ratios (the goal: at most 1.5x the time and 2x the memory).
func BenchmarkNodesFloor(b *testing.B) {
	kubectl := os.Getenv("KUBECTL")
	if kubectl == "" {
		b.Fatal("set KUBECTL to a kubectl binary (hack/teecheck-floor.sh builds one)")
	}
	n := floorNodes(b)
	ensureNodes(b, n)
	// The nodes stay Ready without kwok; its heartbeats would take a core from both sides.
	if err := cp.StopKwok(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = cp.StartKwok() }) // the benchmarks after this one move pods
	floor := []string{kubectl, "--kubeconfig", cp.AdminKubeconfig, "get", "--raw", "/api/v1/nodes"}
	teecheck := []string{filepath.Join(binDir, "kubectl-teecheck"), "--kubeconfig", cp.AdminKubeconfig, "nodes"}
	for _, out := range [][]string{
		nil, {"-o", "wide"}, {"-o", "json"}, {"-o", "yaml"}, {"-o", "name"},
		{"-o", "jsonpath={.items[*].name}"}, {"-o", "go-template={{range .items}}{{.name}} {{end}}"},
		{"-o", "custom-columns=NAME:.name,READY:.ready"}, {"--no-headers"},
	} {
		name := "table"
		if len(out) > 0 {
			name = out[len(out)-1]
			if len(name) > 14 {
				name = name[:14]
			}
		}
		b.Run(fmt.Sprintf("nodes=%d/%s", n, name), func(b *testing.B) {
			checkOutput(b, n, append(slices.Clone(teecheck), out...))
			var floorWall, ourWall []time.Duration
			var floorPeak, ourPeak int64
			for b.Loop() {
				w, kib := timed(b, floor)
				floorWall, floorPeak = append(floorWall, w), max(floorPeak, kib)
				w, kib = timed(b, append(slices.Clone(teecheck), out...))
				ourWall, ourPeak = append(ourWall, w), max(ourPeak, kib)
			}
			fm, om := median(floorWall), median(ourWall)
			b.ReportMetric(float64(om.Milliseconds()), "ms")
			b.ReportMetric(float64(fm.Milliseconds()), "floor-ms")
			b.ReportMetric(float64(om)/float64(fm), "x-time")
			b.ReportMetric(float64(ourPeak)/1024, "peak-MiB")
			b.ReportMetric(float64(floorPeak)/1024, "floor-peak-MiB")
			b.ReportMetric(float64(ourPeak)/float64(floorPeak), "x-memory")
		})
	}
}

// checkOutput runs argv once and refuses a run that did not print every node: a fast failure
// is not a figure.
func checkOutput(b *testing.B, n int, argv []string) {
	b.Helper()
	out, err := exec.Command(argv[0], argv[1:]...).Output()
	if err != nil {
		b.Fatalf("%v: %v", argv, err) // every bench node is ready: exit 0
	}
	if got := strings.Count(string(out), "osc-node-"); got < n {
		b.Fatalf("%v names %d of %d nodes", argv, got, n)
	}
}

// timed runs argv as a process (through GNU time, for its peak RSS) and returns its wall time.
func timed(b *testing.B, argv []string) (time.Duration, int64) {
	start := time.Now()
	kib := runMeasured(b, argv...)
	return time.Since(start), kib
}

func median(d []time.Duration) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	return s[len(s)/2]
}
