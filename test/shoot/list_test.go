package shoot

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	gardencorev1beta1 "github.com/gardener/gardener/pkg/apis/core/v1beta1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/osc-coco/kubectl-plugins/test/harness"
)

func TestList(t *testing.T) {
	r := shoot(t, "list")
	if r.Code != 0 {
		t.Fatalf("list: %d %s", r.Code, r.Stderr)
	}
	// Other tests add shoots to the project; the guide's two are checked row by row.
	rows := map[string]string{}
	lines := strings.Split(strings.TrimSpace(r.Stdout), "\n")
	for _, l := range lines[1:] {
		rows[strings.Fields(l)[0]] = strings.Join(strings.Fields(l), " ")
	}
	if strings.Join(strings.Fields(lines[0]), " ") != "NAME CLOUDPROFILE PROVIDER REGION K8S VERSION HIBERNATION LAST OPERATION STATUS AGE" {
		t.Fatalf("table:\n%s", r.Stdout)
	}
	for _, want := range []string{"eco-dev osc-openstack openstack eu-de-1 1.34.3 Awake Reconcile Succeeded (100%) healthy", "eco-sbx osc-openstack openstack eu-de-1 1.34.2 Awake Reconcile Succeeded (100%) healthy"} {
		if got := rows[strings.Fields(want)[0]]; !strings.HasPrefix(got, want) {
			t.Errorf("row %q, want prefix %q", got, want)
		}
	}

	r = shoot(t, "list", "-o", "wide")
	trues := 0 // the five conditions of each of the guide's two shoots (other tests publish more)
	for _, l := range strings.Split(r.Stdout, "\n") {
		if strings.HasPrefix(l, "eco-sbx ") || strings.HasPrefix(l, "eco-dev ") {
			trues += strings.Count(l, "True")
		}
	}
	if !strings.Contains(r.Stdout, "SEED") || !strings.Contains(r.Stdout, "PURPOSE") || !strings.Contains(r.Stdout, "APISERVER") ||
		!strings.Contains(r.Stdout, "development") || trues != 10 {
		t.Fatalf("wide:\n%s", r.Stdout)
	}

	r = shoot(t, "list", "-o", "json")
	var list struct {
		APIVersion, Kind string
		Items            []struct {
			Project, Namespace, Name, CloudProfile, Region, KubernetesVersion, Hibernation, Status, Purpose string
			LastOperation                                                                                   struct {
				Type, State string
				Progress    int
			}
			Conditions []struct{ Type, Status string }
		}
	}
	if err := json.Unmarshal([]byte(r.Stdout), &list); err != nil {
		t.Fatal(err, r.Stdout)
	}
	if list.APIVersion != "shoot.osc-coco.io/v1alpha1" || list.Kind != "ShootList" || len(list.Items) < 2 {
		t.Fatalf("%+v", list)
	}
	sbx := list.Items[0]
	for _, it := range list.Items {
		if it.Name == "eco-sbx" {
			sbx = it
		}
	}
	if sbx.Name != "eco-sbx" || sbx.Project != "eco" || sbx.Namespace != "garden-eco" || sbx.LastOperation.Progress != 100 || sbx.Status != "healthy" ||
		len(sbx.Conditions) != 5 || sbx.Conditions[0].Type != "APIServerAvailable" || sbx.Purpose != "evaluation" {
		t.Fatalf("%+v", sbx)
	}
}

func TestListBadInput(t *testing.T) {
	r := shoot(t, "list", "-p", "ecoo")
	if r.Code != 2 || !strings.Contains(r.Stderr, `project "ecoo" does not exist; did you mean "eco"?`) {
		t.Fatalf("unknown project: %d %s", r.Code, r.Stderr)
	}
	// A project member may not list shoots garden-wide: -A reads their projects, as the
	// dashboard does (#27 class 5).
	r = shoot(t, "list", "-A")
	if r.Code != 0 || !strings.Contains(r.Stdout, "PROJECT") || !strings.Contains(r.Stdout, "eco-sbx") {
		t.Fatalf("-A without cluster-wide rights: %d %s %s", r.Code, r.Stdout, r.Stderr)
	}
	r = shoot(t, "list", "-o", "table")
	if r.Code != 2 {
		t.Fatalf("bad -o: %d %s", r.Code, r.Stderr)
	}
	r = shoot(t, "status", "eco-sbxx")
	if r.Code != 1 || !strings.Contains(r.Stderr, `shoot "eco-sbxx" does not exist in project eco; did you mean "eco-sbx"?`) {
		t.Fatalf("unknown shoot: %d %s", r.Code, r.Stderr)
	}
}

func TestMachineTypesMatchTheGuide(t *testing.T) {
	root, _ := harness.RepoRoot()
	guide, err := os.ReadFile(filepath.Join(root, fixture, "guide-machine-types.txt"))
	if err != nil {
		t.Fatal(err)
	}
	r := shoot(t, "machine-types")
	if r.Code != 0 {
		t.Fatalf("%d %s", r.Code, r.Stderr)
	}
	lines := strings.Split(strings.TrimSpace(r.Stdout), "\n")
	if strings.Join(strings.Fields(lines[0]), " ") != "NAME CPU GPU MEMORY STORAGE CLASS STORAGE SIZE ARCHITECTURE" {
		t.Fatalf("header %q", lines[0])
	}
	var want []string
	for _, l := range strings.Split(strings.TrimSpace(string(guide)), "\n") {
		want = append(want, strings.Join(strings.Fields(strings.ReplaceAll(l, "|", " ")), " "))
	}
	var got []string
	for _, l := range lines[1:] {
		got = append(got, strings.Join(strings.Fields(l), " "))
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("machine types differ from the guide's table:\n%s", r.Stdout)
	}

	r = shoot(t, "machine-types", "--min-cpu", "16", "--min-memory", "100Gi", "-o", "json")
	var mt struct {
		CloudProfile string
		Items        []struct{ Name string }
	}
	_ = json.Unmarshal([]byte(r.Stdout), &mt)
	if r.Code != 0 || mt.CloudProfile != "osc-openstack" || len(mt.Items) != 2 || mt.Items[1].Name != "vm-dedicated-16-236" {
		t.Fatalf("filter: %d %s %s", r.Code, r.Stdout, r.Stderr)
	}
	r = shoot(t, "machine-types", "--gpu", "--all")
	if r.Code != 0 || !strings.Contains(r.Stdout, "vm-gpu-16-128-1") || !strings.Contains(r.Stdout, "unavailable in every zone") {
		t.Fatalf("--gpu --all: %s", r.Stdout)
	}
	r = shoot(t, "machine-types", "--region", "eu-de-1", "--zone", "eu-de-1b", "--min-cpu", "32")
	if r.Code != 0 || strings.Contains(r.Stdout, "vm-dedicated-32-64 ") || !strings.Contains(r.Stdout, "vm-dedicated-sgx-32-32-32") {
		t.Fatalf("zone filter:\n%s", r.Stdout)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--cloud-profile", "osc-openstak"}, `cloud profile "osc-openstak" does not exist; did you mean "osc-openstack"?`},
		{[]string{"--region", "eu-de-2"}, `region "eu-de-2" does not exist; did you mean "eu-de-1"?`},
		{[]string{"--min-memory", "lots"}, `--min-memory "lots" is not a quantity`},
		{[]string{"--zone", "eu-de-1a"}, "--zone needs --region"},
	} {
		r := shoot(t, append([]string{"machine-types"}, tc.args...)...)
		if r.Code != 2 || !strings.Contains(r.Stderr, tc.want) {
			t.Errorf("%v: %d %s", tc.args, r.Code, r.Stderr)
		}
	}
}

// TestNamespacedCloudProfile: a project's NamespacedCloudProfile adds a machine type to its
// parent; machine-types and create read the merged spec from its status.
func TestNamespacedCloudProfile(t *testing.T) {
	ctx := context.Background()
	ncp := &gardencorev1beta1.NamespacedCloudProfile{
		ObjectMeta: metav1.ObjectMeta{Name: "osc-eco", Namespace: ns},
		Spec: gardencorev1beta1.NamespacedCloudProfileSpec{Parent: gardencorev1beta1.CloudProfileReference{Kind: "CloudProfile", Name: "osc-openstack"},
			MachineTypes: []gardencorev1beta1.MachineType{{Name: "vm-eco-special-8-32", CPU: resource.MustParse("8"), GPU: resource.MustParse("0"),
				Memory: resource.MustParse("32Gi"), Usable: ptr(true), Architecture: ptr("amd64")}}},
	}
	created, err := core.CoreV1beta1().NamespacedCloudProfiles(ns).Create(ctx, ncp, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		_ = core.CoreV1beta1().NamespacedCloudProfiles(ns).Delete(ctx, "osc-eco", metav1.DeleteOptions{})
	}()
	// Before the controller merged it, the parent's types are what the project can use.
	r := shoot(t, "machine-types", "--cloud-profile", "osc-eco", "-o", "json")
	if r.Code != 0 || strings.Contains(r.Stdout, "vm-eco-special") || !strings.Contains(r.Stdout, "vm-dedicated-2-4") {
		t.Fatalf("unmerged: %d %s %s", r.Code, r.Stdout, r.Stderr)
	}
	// The merged spec, as the NamespacedCloudProfile controller writes it.
	parent, err := core.CoreV1beta1().CloudProfiles().Get(ctx, "osc-openstack", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	created.Status.CloudProfileSpec = parent.Spec
	created.Status.CloudProfileSpec.MachineTypes = append(created.Status.CloudProfileSpec.MachineTypes, ncp.Spec.MachineTypes...)
	if _, err := core.CoreV1beta1().NamespacedCloudProfiles(ns).UpdateStatus(ctx, created, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	r = shoot(t, "machine-types", "--cloud-profile", "osc-eco", "--min-cpu", "8", "--min-memory", "32Gi")
	if r.Code != 0 || !strings.Contains(r.Stdout, "vm-eco-special-8-32") {
		t.Fatalf("merged: %d %s %s", r.Code, r.Stdout, r.Stderr)
	}
	r = shoot(t, "create", "eco-ncp", "--cloud-profile", "osc-eco", "--machine-type", "vm-eco-special-8-32", "--dry-run=server")
	if r.Code != 0 {
		t.Fatalf("create with the namespaced profile: %d %s", r.Code, r.Stderr)
	}
	r = shoot(t, "create", "eco-ncp", "--cloud-profile", "osc-eco", "--machine-type", "vm-eco-special-8-32", "--dry-run", "-o", "json")
	if !strings.Contains(r.Stdout, `"kind": "NamespacedCloudProfile"`) {
		t.Fatalf("cloudProfile reference: %s", r.Stdout)
	}
}
