package cmd

import (
	"fmt"
	"io"
	"testing"

	"github.com/osc-coco/kubectl-plugins/lib/cli/clitest"
	"github.com/osc-coco/kubectl-plugins/lib/output"
	"github.com/osc-coco/kubectl-plugins/lib/tee"
	"github.com/osc-coco/kubectl-plugins/lib/tee/nodecheck"
)

// benchReports judges n nodes shaped like the scale benchmark's (test/bench): one in four each
// with SEV-SNP, TDX, Secure Execution or no TEE label.
func benchReports(n int) NodeReportList {
	teeLabels := []string{"cpu-security.sev.snp.enabled", "cpu-security.tdx.enabled", "cpu-security.se.enabled", "cpu-cpuid.AVX2"}
	reports := make([]nodecheck.Report, n)
	for i := range reports {
		node := fakeNode(fmt.Sprintf("osc-node-%05d", i), "16", "64Gi", "containerd://2.1.4",
			map[string]string{tee.WorkerLabel: "", tee.NFDPrefix + teeLabels[i%len(teeLabels)]: "true", tee.InstanceType: "vm-dedicated-16-64"})
		reports[i] = nodecheck.Evaluate(node, nodecheck.Options{})
	}
	return newNodeReportList(reports)
}

// BenchmarkPrintNodeReports prints 5,000 node reports in every output of "nodes": the printing
// alone, without the API server (test/bench and hack/teecheck-floor.sh measure the command).
func BenchmarkPrintNodeReports(b *testing.B) {
	l := benchReports(5000)
	for _, format := range []string{"", "wide", "json", "yaml", "name", "jsonpath={.items[*].name}",
		"go-template={{range .items}}{{.name}} {{end}}", "custom-columns=NAME:.name,READY:.ready"} {
		b.Run("o="+format, func(b *testing.B) {
			var s clitest.Streams
			g := clitest.Globals(PluginName, &s)
			v := verdictFlags{out: output.Flags{Output: format, Named: true}}
			if err := v.complete(g); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				v.complete(g) // a template printer is used once
				if err := v.list.Print(io.Discard, l); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
