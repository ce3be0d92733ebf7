package shoot

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	gardencorev1beta1 "github.com/gardener/gardener/pkg/apis/core/v1beta1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"

	cmd "github.com/osc-coco/kubectl-plugins/plugins/shoot/cmd/gardencmd"
	"github.com/osc-coco/kubectl-plugins/test/harness"
)

func shootExists(t *testing.T, name string) bool {
	t.Helper()
	_, err := core.CoreV1beta1().Shoots(ns).Get(context.Background(), name, metav1.GetOptions{})
	if err != nil && !apierrors.IsNotFound(err) {
		t.Fatal(err)
	}
	return err == nil
}

func TestCreateRejectedClientSide(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--machine-type", "vm-dedicated-4-61"}, `machine type "vm-dedicated-4-61" does not exist; did you mean "vm-dedicated-4-16"`},
		{[]string{"--machine-type", "vm-dedicated-4-16", "--zones", "eu-de-1x"}, `zone "eu-de-1x" does not exist in region eu-de-1; did you mean`},
		{[]string{"--machine-type", "vm-dedicated-32-64", "--zones", "eu-de-1b"}, "not available in zone eu-de-1b; zones that offer it: eu-de-1a"},
		{[]string{"--machine-type", "vm-dedicated-4-16", "--kubernetes-version", "1.34.9"}, `kubernetes version "1.34.9" does not exist; did you mean "1.34.3" or "1.34.2"`},
		// The fixture lists 1.32.9 as expired; the Gardener API drops expired versions from the profile.
		{[]string{"--machine-type", "vm-dedicated-4-16", "--kubernetes-version", "1.32.9"}, `kubernetes version "1.32.9" does not exist`},
		{[]string{"--machine-type", "vm-dedicated-4-16", "--credentials-binding", "osc-eco"}, `OpenStack credentials binding "osc-eco" does not exist in project eco; did you mean "osc-eco-openstack"?`},
		{[]string{"--machine-type", "vm-dedicated-4-16", "--cloud-profile", "aws"}, `cloud profile "aws" does not exist`},
		{[]string{"--machine-type", "vm-dedicated-4-16", "--from", "eco-prod"}, `shoot "eco-prod" does not exist in project eco`},
		{[]string{"--machine-type", "vm-dedicated-4-16", "--workers", "3:1"}, "need 1 <= MIN <= MAX"},
		{[]string{"--machine-type", "vm-dedicated-4-16", "--workers", "many"}, `--workers "many" is not MIN:MAX`},
		{[]string{}, "--machine-type is required"},
	} {
		r := shoot(t, append([]string{"create", "eco-bad"}, tc.args...)...)
		wantCode := 2
		if strings.Contains(tc.want, "eco-prod") {
			wantCode = 1
		}
		if r.Code != wantCode || !strings.Contains(r.Stderr, tc.want) {
			t.Errorf("%v: exit %d\n%s", tc.args, r.Code, r.Stderr)
		}
	}
	for _, name := range []string{"Eco_Bad", "eco--bad", "eco-name-far-too-long-x"} {
		r := shoot(t, "create", name, "--machine-type", "vm-dedicated-4-16")
		if r.Code != 2 {
			t.Errorf("name %q: exit %d %s", name, r.Code, r.Stderr)
		}
	}
	if shootExists(t, "eco-bad") {
		t.Fatal("a rejected create left a shoot behind")
	}
}

func TestCreateDryRuns(t *testing.T) {
	r := shoot(t, "create", "eco-dry", "--machine-type", "vm-dedicated-4-16", "--dry-run")
	if r.Code != 0 {
		t.Fatalf("%d %s", r.Code, r.Stderr)
	}
	var s gardencorev1beta1.Shoot
	if err := yaml.UnmarshalStrict([]byte(r.Stdout), &s); err != nil {
		t.Fatal(err, r.Stdout)
	}
	if s.Kind != "Shoot" || s.APIVersion != "core.gardener.cloud/v1beta1" || s.Spec.Provider.Workers[0].Machine.Type != "vm-dedicated-4-16" ||
		*s.Spec.CredentialsBindingName != "osc-eco-openstack" || s.Spec.Kubernetes.Version != "1.34.3" {
		t.Fatalf("dry-run manifest:\n%s", r.Stdout)
	}
	r = shoot(t, "create", "eco-dry", "--machine-type", "vm-dedicated-4-16", "--dry-run=server")
	if r.Code != 0 || !strings.Contains(r.Stdout, "the Gardener API accepted it") {
		t.Fatalf("server dry run: %d %s %s", r.Code, r.Stdout, r.Stderr)
	}
	if shootExists(t, "eco-dry") {
		t.Fatal("a dry run created the shoot")
	}
}

func TestCreateAcceptedAndIdempotent(t *testing.T) {
	r := shoot(t, "create", "eco-tst", "--machine-type", "vm-dedicated-4-16", "--workers", "2:3", "--purpose", "evaluation")
	if r.Code != 0 || !strings.Contains(r.Stdout, "shoot eco-tst created in project eco") {
		t.Fatalf("%d %s %s", r.Code, r.Stdout, r.Stderr)
	}
	s := getShoot(t, "eco-tst")
	w := s.Spec.Provider.Workers[0]
	if s.Spec.CloudProfile.Name != "osc-openstack" || s.Spec.Region != "eu-de-1" || w.Minimum != 2 || w.Maximum != 3 || w.Zones[0] != "eu-de-1a" ||
		*w.Machine.Image.Version != "1877.6.0" || !strings.Contains(string(s.Spec.Provider.InfrastructureConfig.Raw), "FloatingIP-external-eco") {
		t.Fatalf("stored shoot %+v", s.Spec)
	}
	again := shoot(t, "create", "eco-tst", "--machine-type", "vm-dedicated-4-16", "--workers", "2:3")
	if again.Code != 0 || !strings.Contains(again.Stdout, "already exists") || getShoot(t, "eco-tst").ResourceVersion != s.ResourceVersion {
		t.Fatalf("second run: %d %s", again.Code, again.Stdout)
	}
	// --from copies eco-sbx's zone and infrastructure.
	r = shoot(t, "create", "eco-tst2", "--from", "eco-sbx", "--machine-type", "vm-dedicated-2-8", "-o", "json")
	if r.Code != 0 {
		t.Fatalf("--from: %d %s", r.Code, r.Stderr)
	}
	var created gardencorev1beta1.Shoot
	if err := json.Unmarshal([]byte(r.Stdout), &created); err != nil || created.Kind != "Shoot" || created.Spec.Provider.Workers[0].Zones[0] != "eu-de-1b" ||
		string(*created.Spec.Purpose) != "evaluation" || created.UID == "" {
		t.Fatalf("--from result: %v %s", err, r.Stdout)
	}
}

// TestCreateWait follows the last operation that the test writes as gardenlet would.
func TestCreateWait(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	done := make(chan harness.Result, 1)
	go func() {
		done <- harness.Run(ctx, cmd.NewRoot, "", "create", "eco-wait", "--machine-type", "vm-dedicated-2-4", "--wait", "--timeout", "1m")
	}()
	waitForShoot(t, "eco-wait")
	for _, p := range []int32{10, 60} {
		progress(t, "eco-wait", "Create", "Processing", p)
	}
	select {
	case r := <-done:
		t.Fatalf("create --wait returned before success: %d %s", r.Code, r.Stderr)
	case <-time.After(300 * time.Millisecond):
	}
	progress(t, "eco-wait", "Create", "Succeeded", 100)
	r := <-done
	if r.Code != 0 || !strings.Contains(r.Stdout, "shoot eco-wait is ready") {
		t.Fatalf("%d %s %s", r.Code, r.Stdout, r.Stderr)
	}

	go func() {
		done <- harness.Run(ctx, cmd.NewRoot, "", "create", "eco-fail", "--machine-type", "vm-dedicated-2-4", "--wait", "--timeout", "1m")
	}()
	waitForShoot(t, "eco-fail")
	if err := setStatus(ctx, "eco-fail", func(s *gardencorev1beta1.Shoot) {
		s.Status.ObservedGeneration = s.Generation
		s.Status.LastOperation = &gardencorev1beta1.LastOperation{Type: "Create", State: "Failed", Progress: 35, Description: "infrastructure failed", LastUpdateTime: metav1.Now()}
		s.Status.LastErrors = []gardencorev1beta1.LastError{{Description: "quota exceeded for floating IPs in project eco-tenant", TaskID: ptr("Deploying Shoot infrastructure"),
			Codes: []gardencorev1beta1.ErrorCode{"ERR_INFRA_QUOTA_EXCEEDED"}}}
	}, nil); err != nil {
		t.Fatal(err)
	}
	r = <-done
	if r.Code != 1 || !strings.Contains(r.Stderr, "Create failed: infrastructure failed") ||
		!strings.Contains(r.Stderr, "Deploying Shoot infrastructure: quota exceeded for floating IPs in project eco-tenant [ERR_INFRA_QUOTA_EXCEEDED]") {
		t.Fatalf("failed create: %d\n%s", r.Code, r.Stderr)
	}
}

func ptr[T any](v T) *T { return &v }

func waitForShoot(t *testing.T, name string) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for !shootExists(t, name) {
		if time.Now().After(deadline) {
			t.Fatalf("shoot %s was not created", name)
		}
		time.Sleep(20 * time.Millisecond) // polling the test's own precondition, not the command under test
	}
}

func progress(t *testing.T, name, typ, state string, p int32) {
	t.Helper()
	if err := setStatus(context.Background(), name, func(s *gardencorev1beta1.Shoot) {
		s.Status.ObservedGeneration = s.Generation
		s.Status.LastOperation = &gardencorev1beta1.LastOperation{Type: gardencorev1beta1.LastOperationType(typ), State: gardencorev1beta1.LastOperationState(state),
			Progress: p, Description: "step " + state, LastUpdateTime: metav1.Now()}
	}, nil); err != nil {
		t.Fatal(err)
	}
}

// --for coco: the CoCo checks against the cloud profile before anything is sent, and a shoot
// the real Gardener API accepts with the worker label on its pool.
func TestCreateForCoco(t *testing.T) {
	r := shoot(t, "create", "eco-coco-small", "--for", "coco", "--machine-type", "vm-dedicated-2-4")
	if r.Code != 2 || !strings.Contains(r.Stderr, "machine type vm-dedicated-2-4 has 2 CPUs, not the 4, which CoCo needs; machine types that do:") || shootExists(t, "eco-coco-small") {
		t.Fatalf("2 CPUs: exit %d %s", r.Code, r.Stderr)
	}
	// CoCo dropped SGX in v0.18: --tee sgx is refused; an SGX machine type is warned about.
	for _, args := range [][]string{{"--for", "coco", "--tee", "sgx"}, {"--tee", "sgx"}} {
		r = shoot(t, append([]string{"create", "eco-coco-sgx", "--machine-type", "vm-dedicated-sgx-8-16-16"}, args...)...)
		if r.Code != 2 || !strings.Contains(r.Stderr, "CoCo dropped SGX in v0.18") || shootExists(t, "eco-coco-sgx") {
			t.Fatalf("%v: exit %d %s", args, r.Code, r.Stderr)
		}
	}
	r = shoot(t, "create", "eco-coco", "--for", "coco", "--machine-type", "vm-dedicated-sgx-8-16-16")
	if r.Code != 0 || !strings.Contains(r.Stderr, "warning: machine type vm-dedicated-sgx-8-16-16 is an SGX type") || !strings.Contains(r.Stderr, "not confidential") {
		t.Fatalf("create: exit %d %s", r.Code, r.Stderr)
	}
	s := getShoot(t, "eco-coco")
	w := s.Spec.Provider.Workers[0]
	if _, ok := w.Labels["node.kubernetes.io/worker"]; !ok || w.CRI == nil || w.CRI.Name != "containerd" || w.Machine.Type != "vm-dedicated-sgx-8-16-16" {
		t.Fatalf("pool %+v", w)
	}
}
