package helmcmd

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/osc-coco/kubectl-plugins/lib/cli/clitest"
	"github.com/osc-coco/kubectl-plugins/lib/garden/gardentest"
	"github.com/osc-coco/kubectl-plugins/lib/kube"
	"github.com/osc-coco/kubectl-plugins/lib/tee"
	"github.com/osc-coco/kubectl-plugins/plugins/coco/chartvalues"
	"github.com/osc-coco/kubectl-plugins/plugins/coco/cmd/cmdtest"
	"github.com/osc-coco/kubectl-plugins/plugins/coco/trusteechart"
	"github.com/osc-coco/kubectl-plugins/test/charts"
)

func TestPreflightOnFakes(t *testing.T) {
	r := run(cmdtest.OnCluster(cmdtest.SNPCluster()), "preflight", "-o", "jsonpath={.kind} {.serverVersion} {.nodes[0].name} {.ready}")
	if r.Code != 0 || r.Out != "PreflightReport v1.33.2 snp-w true" {
		t.Fatalf("exit %d %q %s", r.Code, r.Out, r.Err)
	}
	// No worker label on any node: not ready, exit 1, the report printed all the same.
	cs := cmdtest.SNPCluster()
	n, _ := cs.CoreV1().Nodes().Get(context.Background(), "snp-w", metav1.GetOptions{})
	delete(n.Labels, tee.WorkerLabel)
	if _, err := cs.CoreV1().Nodes().Update(context.Background(), n, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	if r := run(cmdtest.OnCluster(cs), "preflight", "-o", "jsonpath={.ready}"); r.Code != 1 || r.Out != "false" {
		t.Fatalf("no worker: exit %d %q %s", r.Code, r.Out, r.Err)
	}
}

// install --dry-run renders the chart (test/charts' model of confidential-containers) for the
// cluster's workers and changes nothing.
func TestInstallDryRunOnFakes(t *testing.T) {
	path, err := charts.SaveCocoChart(t.TempDir(), "0.22.0")
	if err != nil {
		t.Fatal(err)
	}
	f := cmdtest.OnCluster(cmdtest.SNPCluster())
	r := run(f, "install", "--chart", path, "--dry-run", "--skip-preflight")
	if r.Code != 0 || !strings.Contains(r.Out, "kind: DaemonSet") || !strings.Contains(r.Out, "kata-deploy") {
		t.Fatalf("exit %d\n%s\n%s", r.Code, r.Out, r.Err)
	}
	tpath, err := charts.SaveTrusteeChart(t.TempDir(), "0.21.0")
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	r = run(f, "trustee", "install", "--chart", tpath, "--dry-run")
	if r.Code != 0 || !strings.Contains(r.Out, "# Secret trustee/") || !strings.Contains(r.Out, "kind: Deployment") {
		t.Fatalf("trustee install --dry-run: exit %d\n%s\n%s", r.Code, r.Out, r.Err)
	}
	assertReadOnly(t, f)
}

// assertReadOnly fails when a command wrote to the fakes: the typed and dynamic clients and
// the Helm release store.
func assertReadOnly(t *testing.T, f *clitest.Factory) {
	t.Helper()
	actions := f.Kube.Actions()
	if f.Dynamic != nil {
		actions = append(actions, f.Dynamic.Actions()...)
	}
	for _, a := range actions {
		if v := a.GetVerb(); v != "get" && v != "list" && v != "watch" && a.GetResource().Resource != "selfsubjectaccessreviews" {
			t.Fatalf("a dry run changed the cluster: %v", a)
		}
	}
	for ns, name := range map[string]string{chartvalues.Namespace: chartvalues.ReleaseName, trusteechart.Namespace: trusteechart.ReleaseName} {
		hc, err := f.HelmClient(nil, ns)
		if err != nil {
			t.Fatal(err)
		}
		if rel, err := hc.Get(context.Background(), name); err != nil || rel != nil {
			t.Fatalf("a dry run made release %s/%s: %v %v", ns, name, rel, err)
		}
	}
}

// Nothing installed: status, trustee status and uninstall say so and leave the cluster alone.
func TestNothingInstalledOnFakes(t *testing.T) {
	f := cmdtest.OnCluster(cmdtest.SNPCluster())
	if r := run(f, "trustee", "status", "-o", "jsonpath={.installed}"); r.Code != 1 || r.Out != "false" {
		t.Fatalf("trustee status: exit %d %q %s", r.Code, r.Out, r.Err)
	}
	if r := run(f, "trustee", "uninstall"); r.Code != 0 || !strings.Contains(r.Out+r.Err, "not installed") {
		t.Fatalf("trustee uninstall: exit %d %q %s", r.Code, r.Out, r.Err)
	}
	if r := run(f, "version", "-o", "jsonpath={.plugin}"); r.Code != 0 || r.Out != "coco" {
		t.Fatalf("version: exit %d %q %s", r.Code, r.Out, r.Err)
	}
}

const webManifest = `apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: web
        image: registry.example/web@sha256:0000000000000000000000000000000000000000000000000000000000000000
`

// deploy's client dry run prepares the workload (class, initdata) without the cluster changing;
// verify reads what it prepared and says plainly that an allow-all policy is not confidential;
// undeploy's dry run deletes nothing.
func TestDeployVerifyUndeployOnFakes(t *testing.T) {
	dir := t.TempDir()
	manifest := filepath.Join(dir, "web.yaml")
	if err := os.WriteFile(manifest, []byte(webManifest), 0o600); err != nil {
		t.Fatal(err)
	}
	f := cmdtest.OnCluster(cmdtest.SNPCluster())
	r := run(f, "deploy", "-f", manifest, "--policy", "allow-all", "--bind=false", "--dry-run", "-o", "yaml")
	if r.Code != 0 || !strings.Contains(r.Out, "runtimeClassName: kata-qemu-snp") || !strings.Contains(r.Out, "io.katacontainers.config.hypervisor.cc_init_data") ||
		!strings.Contains(r.Err, "NOT confidential") {
		t.Fatalf("deploy: exit %d\n%s\n%s", r.Code, r.Out, r.Err)
	}
	prepared := filepath.Join(dir, "prepared.yaml")
	if err := os.WriteFile(prepared, []byte(r.Out), 0o600); err != nil {
		t.Fatal(err)
	}
	r = run(f, "verify", "-f", prepared, "-o", "jsonpath={.ok} {.workloads[0].confidential}")
	if r.Code != 1 || r.Out != "false false" {
		t.Fatalf("verify: exit %d %q %s", r.Code, r.Out, r.Err)
	}
	if r := run(f, "undeploy", "-f", manifest, "--dry-run"); r.Code != 0 || !strings.Contains(r.Out, "would delete deployment/web") {
		t.Fatalf("undeploy: exit %d %q %s", r.Code, r.Out, r.Err)
	}
	assertReadOnly(t, f)
}

// status --shoots reads each shoot through a kubeconfig the garden issues, in parallel.
func TestStatusOverShootsOnFakes(t *testing.T) {
	conn, _ := gardentest.Conn("osc", gardentest.Project("eco"), gardentest.Shoot("eco", "eco-a", false),
		gardentest.Shoot("eco", "eco-b", false), gardentest.Shoot("eco", "eco-c", true))
	shootClients := func() *kube.Clients {
		return &kube.Clients{Kube: cmdtest.SNPCluster(), Dynamic: cmdtest.OnCluster(nil).DynamicClient()}
	}
	f := &clitest.Factory{GardenConn: conn, Shoots: map[string]*kube.Clients{
		gardentest.ShootHost("eco-a"): shootClients(), gardentest.ShootHost("eco-b"): shootClients()}}
	r := run(f, "status", "--shoots", "all", "-p", "eco", "--parallel", "4", "-o", `jsonpath={range .items[*]}{.shoot}={.status}/{.value.installed} {end}`)
	if r.Code != 1 || r.Out != "eco-a=pass/false eco-b=pass/false eco-c=skip/ " {
		t.Fatalf("exit %d %q %s", r.Code, r.Out, r.Err)
	}
}
