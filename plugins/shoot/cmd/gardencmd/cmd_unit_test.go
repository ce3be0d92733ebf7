package gardencmd

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	gardencorev1beta1 "github.com/gardener/gardener/pkg/apis/core/v1beta1"
	securityv1alpha1 "github.com/gardener/gardener/pkg/apis/security/v1alpha1"
	corefake "github.com/gardener/gardener/pkg/client/core/clientset/versioned/fake"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes/fake"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/yaml"

	"github.com/osc-coco/kubectl-plugins/lib/cli/clitest"
	"github.com/osc-coco/kubectl-plugins/lib/garden/gardentest"
)

// run runs a kubectl shoot command line on the fakes of f.
func run(f *clitest.Factory, args ...string) clitest.Result {
	return clitest.Exec(NewRootWithGlobals, f, args...)
}

// ecoGarden is garden osc with project eco holding objs, and a home of the test's own (the
// garden config and kubeconfigs go there).
func ecoGarden(t *testing.T, objs ...runtime.Object) (*clitest.Factory, *corefake.Clientset) {
	t.Helper()
	t.Setenv("GCTL_HOME", t.TempDir())
	t.Setenv("HOME", t.TempDir())
	t.Setenv("GCTL_CONFIG_NAME", "")
	t.Setenv("GL_HOME", "")
	conn, core := gardentest.Conn("osc", append([]runtime.Object{ecoProject()}, objs...)...)
	return &clitest.Factory{GardenConn: conn}, core
}

func reconciled(name string) *gardencorev1beta1.Shoot {
	s := fakeShoot(name, gardencorev1beta1.LastOperationStateSucceeded)
	s.Generation, s.Status.ObservedGeneration = 2, 2
	return s
}

// Every refusal is a usage error (exit 2) before the garden is read.
func TestShootUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{"create", "eco-new"},
		{"create", "Eco_New", "--machine-type", "vm-dedicated-4-16"},
		{"create", "eco-new", "--machine-type", "vm-dedicated-4-16", "--workers", "3:1"},
		{"create", "eco-new", "--machine-type", "vm-dedicated-4-16", "--for", "gpu"},
		{"delete", "eco-a", "--timeout", "0s"},
		{"delete", "eco-a", "--dry-run=server"},
		{"wait", "eco-a", "--for", "ready"},
		{"wait", "eco-a", "--timeout", "0s"},
		{"hibernate", "eco-a", "--timeout", "0s"},
		{"rotate-credentials", "eco-a", "begin"},
		{"rotate-credentials", "eco-a", "start", "--kind", "passwords"},
		{"status"},
		{"list", "-A", "-p", "eco"},
		{"list", "-o", "toml"},
		{"machine-types", "-o", "toml"},
		{"use", "eco-a", "--shell", "tcsh"},
		{"version", "-o", "wide"},
	} {
		f, core := ecoGarden(t)
		r := run(f, args...)
		if r.Code != 2 || !strings.HasPrefix(r.Err, "error: ") || r.Out != "" {
			t.Errorf("%v: exit %d, out %q, err %q", args, r.Code, r.Out, r.Err)
		}
		if len(core.Actions()) != 0 {
			t.Errorf("%v: the garden was read before the refusal: %v", args, core.Actions())
		}
	}
}

func TestStatusOnFakes(t *testing.T) {
	f, _ := ecoGarden(t, reconciled("eco-a"))
	if r := run(f, "status", "eco-a", "-o", "jsonpath={.name} {.lastOperation.state}"); r.Code != 0 || r.Out != "eco-a Succeeded" {
		t.Fatalf("exit %d %q %s", r.Code, r.Out, r.Err)
	}
	if r := run(f, "status", "eco-b"); r.Code != 1 || !strings.Contains(r.Err, `shoot "eco-b" does not exist in project eco; did you mean "eco-a"?`) {
		t.Fatalf("absent: exit %d %s", r.Code, r.Err)
	}
}

func TestLifecycleOnFakes(t *testing.T) {
	f, core := ecoGarden(t, reconciled("eco-a"))
	if r := run(f, "hibernate", "eco-a", "--dry-run", "-o", "jsonpath={.result}"); r.Code != 0 || r.Out != "would-change" {
		t.Fatalf("dry run: exit %d %q %s", r.Code, r.Out, r.Err)
	}
	if s, _ := core.CoreV1beta1().Shoots("garden-eco").Get(context.Background(), "eco-a", metav1.GetOptions{}); s.Spec.Hibernation != nil {
		t.Fatalf("the dry run hibernated: %+v", s.Spec.Hibernation)
	}
	if r := run(f, "hibernate", "eco-a", "-o", "jsonpath={.result}"); r.Code != 0 || r.Out != "requested" {
		t.Fatalf("hibernate: exit %d %q %s", r.Code, r.Out, r.Err)
	}
	if s, _ := core.CoreV1beta1().Shoots("garden-eco").Get(context.Background(), "eco-a", metav1.GetOptions{}); s.Spec.Hibernation == nil || !*s.Spec.Hibernation.Enabled {
		t.Fatalf("not hibernated: %+v", s.Spec.Hibernation)
	}
	if r := run(f, "hibernate", "eco-a", "-o", "jsonpath={.result}"); r.Code != 0 || r.Out != "unchanged" {
		t.Fatalf("again: exit %d %q %s", r.Code, r.Out, r.Err)
	}
	clitest.Deny(f.GardenConn.Kube.(*fake.Clientset), "patch shoots")
	if r := run(f, "wake-up", "eco-a"); r.Code != 1 || !strings.Contains(r.Err, "patch shoots") {
		t.Fatalf("forbidden: exit %d %q %s", r.Code, r.Out, r.Err)
	}
}

// osProfile is test/fixtures/garden's CloudProfile (the guide's machine types).
func osProfile(t *testing.T) *gardencorev1beta1.CloudProfile {
	t.Helper()
	data, err := os.ReadFile("../../../../test/fixtures/garden/cloudprofile.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var cp gardencorev1beta1.CloudProfile
	if err := yaml.UnmarshalStrict(data, &cp); err != nil {
		t.Fatal(err)
	}
	return &cp
}

func TestDeleteOnFakes(t *testing.T) {
	f, core := ecoGarden(t, reconciled("eco-a"))
	if r := run(f, "delete", "eco-a", "--dry-run"); r.Code != 0 || !strings.Contains(r.Out, "would be deleted (dry run)") {
		t.Fatalf("dry run: exit %d %q %s", r.Code, r.Out, r.Err)
	}
	if r := clitest.ExecStdin(NewRootWithGlobals, f, "eco-b\n", "delete", "eco-a"); r.Code != 1 || !strings.Contains(r.Err, `not confirmed (got "eco-b")`) {
		t.Fatalf("wrong name typed: exit %d %q %s", r.Code, r.Out, r.Err)
	}
	if r := run(f, "delete", "eco-a"); r.Code != 2 || !strings.Contains(r.Err, "no answer on stdin") {
		t.Fatalf("no answer: exit %d %q %s", r.Code, r.Out, r.Err)
	}
	if _, err := core.CoreV1beta1().Shoots("garden-eco").Get(context.Background(), "eco-a", metav1.GetOptions{}); err != nil {
		t.Fatalf("deleted without confirmation: %v", err)
	}
	clitest.Deny(f.GardenConn.Kube.(*fake.Clientset), "delete shoots")
	if r := run(f, "delete", "eco-a", "--yes"); r.Code != 1 || !strings.Contains(r.Err, "delete shoots") {
		t.Fatalf("forbidden: exit %d %q %s", r.Code, r.Out, r.Err)
	}
	f, core = ecoGarden(t, reconciled("eco-a"))
	if r := clitest.ExecStdin(NewRootWithGlobals, f, "eco-a\n", "delete", "eco-a"); r.Code != 0 || !strings.Contains(r.Out, "shoot eco-a in project eco is being deleted") {
		t.Fatalf("delete: exit %d %q %s", r.Code, r.Out, r.Err)
	}
	if _, err := core.CoreV1beta1().Shoots("garden-eco").Get(context.Background(), "eco-a", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Fatalf("still there: %v", err)
	}
	if r := run(f, "delete", "eco-a", "--yes"); r.Code != 0 || !strings.Contains(r.Out, "does not exist in project eco: nothing to delete") {
		t.Fatalf("again: exit %d %q %s", r.Code, r.Out, r.Err)
	}
}

func TestWaitOnFakes(t *testing.T) {
	f, _ := ecoGarden(t, reconciled("eco-a"))
	if r := run(f, "wait", "eco-a"); r.Code != 0 || r.Out != "shoot eco-a is reconciled\n" {
		t.Fatalf("exit %d %q %s", r.Code, r.Out, r.Err)
	}
	f, _ = ecoGarden(t) // client-go's fakes ignore field selectors: eco-b is alone here
	if r := run(f, "wait", "eco-b", "--for", "deleted"); r.Code != 0 || r.Out != "shoot eco-b is deleted\n" {
		t.Fatalf("gone: exit %d %q %s", r.Code, r.Out, r.Err)
	}
	failed := fakeShoot("eco-c", gardencorev1beta1.LastOperationStateFailed)
	f, _ = ecoGarden(t, failed)
	if r := run(f, "wait", "eco-c", "--timeout", "5s"); r.Code != 1 || !strings.Contains(r.Err, "eco-c") {
		t.Fatalf("failed: exit %d %q %s", r.Code, r.Out, r.Err)
	}
}

func TestPoolOnFakes(t *testing.T) {
	s := reconciled("eco-a")
	s.Spec.Provider.Workers = []gardencorev1beta1.Worker{{Name: "worker", Minimum: 1, Maximum: 2, Machine: gardencorev1beta1.Machine{Type: "vm-dedicated-4-16"}}}
	f, core := ecoGarden(t, s, osProfile(t))
	if r := run(f, "pool", "list", "eco-a", "-o", "jsonpath={.items[0].name} {.items[0].machineType} {.items[0].min}-{.items[0].max}"); r.Code != 0 || r.Out != "worker vm-dedicated-4-16 1-2" {
		t.Fatalf("list: exit %d %q %s", r.Code, r.Out, r.Err)
	}
	if r := run(f, "pool", "scale", "eco-a", "worker", "--min", "2", "--max", "4", "-o", "jsonpath={.result}"); r.Code != 0 || r.Out != "changed" {
		t.Fatalf("scale: exit %d %q %s", r.Code, r.Out, r.Err)
	}
	if got, _ := core.CoreV1beta1().Shoots("garden-eco").Get(context.Background(), "eco-a", metav1.GetOptions{}); got.Spec.Provider.Workers[0].Maximum != 4 {
		t.Fatalf("not scaled: %+v", got.Spec.Provider.Workers)
	}
	for _, args := range [][]string{{"pool", "add", "eco-a", "Bad_Name", "--machine-type", "vm-dedicated-4-16"}, {"pool", "add", "eco-a", "p2"},
		{"pool", "scale", "eco-a", "worker", "--min", "1"}} {
		if r := run(f, args...); r.Code != 2 {
			t.Errorf("%v: exit %d %s", args, r.Code, r.Err)
		}
	}
	if r := run(f, "pool", "delete", "eco-a", "nope", "-o", "jsonpath={.result}: {.reason}"); r.Code != 0 || r.Out != "unchanged: shoot eco-a has no pool nope" {
		t.Fatalf("absent pool (idempotent): exit %d %q %s", r.Code, r.Out, r.Err)
	}
}

func TestMachineTypesOnFakes(t *testing.T) {
	f, _ := ecoGarden(t, osProfile(t))
	if r := run(f, "machine-types", "--min-cpu", "16", "--min-memory", "200Gi", "-o", "jsonpath={.cloudProfile} {.items[*].name}"); r.Code != 0 || r.Out != "osc-openstack vm-dedicated-16-236" {
		t.Fatalf("exit %d %q %s", r.Code, r.Out, r.Err)
	}
	if r := run(f, "machine-types", "--cloud-profile", "osc-openstak"); r.Code != 2 || !strings.Contains(r.Err, `did you mean "osc-openstack"`) {
		t.Fatalf("typo: exit %d %s", r.Code, r.Err)
	}
}

func TestVersionOnFakes(t *testing.T) {
	if r := run(&clitest.Factory{}, "version", "-o", "jsonpath={.plugin}"); r.Code != 0 || r.Out != "shoot" {
		t.Fatalf("exit %d %q %s", r.Code, r.Out, r.Err)
	}
}

// published is eco-a as Gardener publishes it once created: its API server address and, in
// the project namespace, its cluster CA.
func published(t *testing.T, f *clitest.Factory) *gardencorev1beta1.Shoot {
	t.Helper()
	s := reconciled("eco-a")
	s.Status.AdvertisedAddresses = []gardencorev1beta1.ShootAdvertisedAddress{{Name: "external", URL: "https://api.eco-a.eco.shoot.test"}}
	ca := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "eco-a.ca-cluster", Namespace: "garden-eco"}, Data: map[string]string{"ca.crt": "CA"}}
	if _, err := f.GardenConn.Kube.CoreV1().ConfigMaps("garden-eco").Create(context.Background(), ca, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	return s
}

func TestKubeconfigAndUseOnFakes(t *testing.T) {
	f, core := ecoGarden(t)
	if _, err := core.CoreV1beta1().Shoots("garden-eco").Create(context.Background(), published(t, f), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	r := run(f, "kubeconfig", "eco-a", "-o", "-")
	kc, err := clientcmd.Load([]byte(r.Out))
	if r.Code != 0 || err != nil || kc.Clusters[kc.Contexts[kc.CurrentContext].Cluster].Server != "https://api.eco-a.eco.shoot.test" ||
		!strings.Contains(r.Out, "kubectl-gardenlogin") {
		t.Fatalf("exit %d %v\n%s\n%s", r.Code, err, r.Out, r.Err)
	}
	r = run(f, "use", "eco-a", "--shell", "bash")
	path := filepath.Join(os.Getenv("GCTL_HOME"), "kubeconfig-gardenlogin--eco--eco-a.yaml")
	if r.Code != 0 || r.Out != "export KUBECONFIG='"+path+"'\n" {
		t.Fatalf("use: exit %d %q %s", r.Code, r.Out, r.Err)
	}
	if st, err := os.Stat(path); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("the kubeconfig: %v %v", st, err)
	}
	if r := run(f, "kubeconfig", "eco-b"); r.Code != 1 || !strings.Contains(r.Err, `shoot "eco-b" does not exist`) {
		t.Fatalf("absent: exit %d %s", r.Code, r.Err)
	}
}

func TestCreateOnFakes(t *testing.T) {
	binding := &securityv1alpha1.CredentialsBinding{ObjectMeta: metav1.ObjectMeta{Name: "osc-eco-openstack", Namespace: "garden-eco"},
		Provider: securityv1alpha1.CredentialsBindingProvider{Type: "openstack"}}
	f, core := ecoGarden(t, osProfile(t))
	if _, err := f.GardenConn.Security.SecurityV1alpha1().CredentialsBindings("garden-eco").Create(context.Background(), binding, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	r := run(f, "create", "eco-new", "--machine-type", "vm-dedicated-4-16", "--region", "eu-de-1", "--dry-run", "-o", "jsonpath={.kind} {.spec.provider.workers[0].machine.type} {.spec.credentialsBindingName}")
	if r.Code != 0 || r.Out != "Shoot vm-dedicated-4-16 osc-eco-openstack" {
		t.Fatalf("dry run: exit %d %q %s", r.Code, r.Out, r.Err)
	}
	if r := run(f, "create", "eco-new", "--machine-type", "vm-dedicated-4-61", "--region", "eu-de-1"); r.Code != 2 || !strings.Contains(r.Err, `did you mean "vm-dedicated-4-16"`) {
		t.Fatalf("typo: exit %d %s", r.Code, r.Err)
	}
	if list, _ := core.CoreV1beta1().Shoots("garden-eco").List(context.Background(), metav1.ListOptions{}); len(list.Items) != 0 {
		t.Fatalf("created on a dry run or a refusal: %v", list.Items)
	}
	if r := run(f, "create", "eco-new", "--machine-type", "vm-dedicated-4-16", "--region", "eu-de-1", "-o", "jsonpath={.metadata.name}"); r.Code != 0 || r.Out != "eco-new" {
		t.Fatalf("create: exit %d %q %s", r.Code, r.Out, r.Err)
	}
	if r := run(f, "create", "eco-new", "--machine-type", "vm-dedicated-4-16", "--region", "eu-de-1"); r.Code != 0 || !strings.Contains(r.Out, "already exists in project eco: unchanged") {
		t.Fatalf("again: exit %d %q %s", r.Code, r.Out, r.Err)
	}
}

func TestGardenConfigOnFakes(t *testing.T) {
	f, _ := ecoGarden(t)
	kc := filepath.Join(t.TempDir(), "garden.yaml")
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters["garden"] = &clientcmdapi.Cluster{Server: "https://garden.test"}
	cfg.AuthInfos["me"] = &clientcmdapi.AuthInfo{Token: "t"}
	cfg.Contexts["garden"] = &clientcmdapi.Context{Cluster: "garden", AuthInfo: "me"}
	cfg.CurrentContext = "garden"
	if err := clientcmd.WriteToFile(*cfg, kc); err != nil {
		t.Fatal(err)
	}
	if r := run(f, "config", "view"); r.Code != 1 || !strings.Contains(r.Err, "no garden config at") {
		t.Fatalf("no config: exit %d %s", r.Code, r.Err)
	}
	if r := run(f, "config", "set-garden", "osc", "--kubeconfig", kc); r.Code != 0 {
		t.Fatalf("set-garden: exit %d %q %s", r.Code, r.Out, r.Err)
	}
	if r := run(f, "config", "view", "-o", "jsonpath={.gardens[0].identity} {.gardens[0].kubeconfig}"); r.Code != 0 || r.Out != "osc "+kc {
		t.Fatalf("view: exit %d %q %s", r.Code, r.Out, r.Err)
	}
	if r := run(f, "config", "set-garden", "Not A Name", "--kubeconfig", kc); r.Code != 2 {
		t.Fatalf("bad identity: exit %d %s", r.Code, r.Err)
	}
	if r := run(f, "config", "delete-garden", "osc"); r.Code != 0 || !strings.Contains(r.Out, "garden osc deleted") {
		t.Fatalf("delete-garden: exit %d %q %s", r.Code, r.Out, r.Err)
	}
	if r := run(f, "config", "delete-garden", "osc"); r.Code != 0 || !strings.Contains(r.Out, "nothing to delete") {
		t.Fatalf("again: exit %d %q %s", r.Code, r.Out, r.Err)
	}
}

// doctor on an empty home: the garden config is missing, which it says with the fix.
func TestDoctorOnFakes(t *testing.T) {
	f, _ := ecoGarden(t)
	r := run(f, "doctor", "-o", "json")
	var rep DoctorReport
	if err := json.Unmarshal([]byte(r.Out), &rep); err != nil || r.Code != 1 || rep.OK {
		t.Fatalf("exit %d %v\n%s\n%s", r.Code, err, r.Out, r.Err)
	}
	failed := false
	for _, c := range rep.Checks {
		failed = failed || (c.Status == "fail" && strings.Contains(c.Fix, "set-garden"))
	}
	if !failed {
		t.Fatalf("no failed check names set-garden: %+v", rep.Checks)
	}
}

// #27 class 1: a shoot or project name the Gardener API would refuse is exit 2 on every verb
// that takes one, before the garden is asked; one that does not exist is exit 1 with
// did-you-mean, and nothing is changed or waited on.
func TestShootNamesCheckedFirst(t *testing.T) {
	for _, c := range []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"status", "eco/a"}, 2, `shoot name "eco/a" is not a valid name`},
		{[]string{"kubeconfig", "Eco-A"}, 2, `shoot name "Eco-A" is not a valid name`},
		{[]string{"delete", "eco_a", "--yes"}, 2, "is not a valid name"},
		{[]string{"wait", "", "--timeout", "5m"}, 2, `shoot name "" is not a valid name`},
		{[]string{"hibernate", "eco.a"}, 2, "is not a valid name"},
		{[]string{"use", strings.Repeat("a", 64)}, 2, "is not a valid name"},
		{[]string{"pool", "list", "eco/a"}, 2, "is not a valid name"},
		{[]string{"status", "eco-a", "-p", "Eco"}, 2, `project (-p) "Eco" is not a valid name`},
		{[]string{"wait", "eco-b", "--timeout", "5m"}, 1, `shoot "eco-b" does not exist in project eco; did you mean "eco-a"?`},
		{[]string{"hibernate", "eco-b", "--wait"}, 1, `did you mean "eco-a"?`},
		{[]string{"status", "eco-a", "-p", "ecp"}, 2, `project "ecp" does not exist; did you mean "eco"?`},
	} {
		t.Run(strings.Join(c.args, " "), func(t *testing.T) {
			f, core := ecoGarden(t, reconciled("eco-a"))
			r := run(f, c.args...)
			if r.Code != c.code || !strings.Contains(r.Err, c.msg) {
				t.Fatalf("exit %d (want %d), stderr %q does not say %q", r.Code, c.code, r.Err, c.msg)
			}
			onInput := strings.Contains(c.msg, "not a valid name") // refused before the garden is asked
			for _, a := range core.Actions() {
				if v := a.GetVerb(); onInput || (v != "get" && v != "list") {
					t.Fatalf("the garden was %s before the refusal: %v", map[bool]string{true: "read", false: "changed"}[onInput], a)
				}
			}
		})
	}
}

// #27 class 5: hibernate --wait on a shoot that is still hibernating waits for it; a wait on a
// shoot no seed or gardenlet works on says why and stops, instead of running out --timeout.
func TestWaitsThatCannotEndStop(t *testing.T) {
	old := unattendedAfter
	unattendedAfter = 50 * time.Millisecond
	t.Cleanup(func() { unattendedAfter = old })
	seed := "osc-seed"
	hibernating := reconciled("eco-h")
	hibernating.Spec.SeedName = &seed
	hibernating.Spec.Hibernation = &gardencorev1beta1.Hibernation{Enabled: ptr.To(true)}
	processing := fakeShoot("eco-p", gardencorev1beta1.LastOperationStateProcessing)
	f, core := ecoGarden(t, hibernating, processing)

	start := time.Now()
	if r := run(f, "wait", "eco-p", "--timeout", "10m"); r.Code != 1 || !strings.Contains(r.Err, "shoot eco-p will not be reconciled: no seed is assigned") ||
		!strings.Contains(r.Err, "waiting longer will not help") || strings.Contains(r.Err, "--timeout 30m") {
		t.Fatalf("unattended: exit %d %s", r.Code, r.Err)
	}
	if took := time.Since(start); took > time.Minute {
		t.Fatalf("the wait ran %s", took)
	}
	if r := run(f, "hibernate", "eco-h", "--wait", "--timeout", "1s"); r.Code != 1 || !strings.Contains(r.Err, "did not finish within 1s") {
		t.Fatalf("still hibernating: --wait returned: exit %d %q %s", r.Code, r.Out, r.Err)
	}
	hibernating.Status.IsHibernated = true
	if _, err := core.CoreV1beta1().Shoots("garden-eco").UpdateStatus(context.Background(), hibernating, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	if r := run(f, "hibernate", "eco-h", "--wait", "-o", "jsonpath={.result}"); r.Code != 0 || r.Out != "unchanged" {
		t.Fatalf("hibernated: exit %d %q %s", r.Code, r.Out, r.Err)
	}
}

// #27 class 6: -p completes with the projects, a shoot argument with the project's shoots.
func TestCompletion(t *testing.T) {
	f, _ := ecoGarden(t, reconciled("eco-a"), reconciled("eco-b"))
	if r := run(f, "__complete", "status", "-p", ""); r.Code != 0 || !strings.HasPrefix(r.Out, "eco\n:4") {
		t.Fatalf("-p: exit %d %q %s", r.Code, r.Out, r.Err)
	}
	if r := run(f, "__complete", "status", "eco-"); r.Code != 0 || !strings.Contains(r.Out, "eco-a") || !strings.Contains(r.Out, "eco-b") {
		t.Fatalf("shoots: exit %d %q %s", r.Code, r.Out, r.Err)
	}
}
