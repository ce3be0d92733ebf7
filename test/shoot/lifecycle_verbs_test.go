package shoot

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	gardencorev1beta1 "github.com/gardener/gardener/pkg/apis/core/v1beta1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	cmd "github.com/osc-coco/kubectl-plugins/plugins/shoot/cmd/gardencmd"
	"github.com/osc-coco/kubectl-plugins/test/harness"
)

// reconciled plays gardenlet finishing a reconciliation of the shoot's current generation.
func reconciled(t *testing.T, name string, hibernated bool, state string) {
	t.Helper()
	if err := setStatus(context.Background(), name, func(s *gardencorev1beta1.Shoot) {
		s.Status.ObservedGeneration, s.Status.IsHibernated = s.Generation, hibernated
		s.Status.LastOperation = &gardencorev1beta1.LastOperation{Type: gardencorev1beta1.LastOperationTypeReconcile,
			State: gardencorev1beta1.LastOperationState(state), Progress: 100, Description: "reconciled", LastUpdateTime: metav1.Now()}
	}, nil); err != nil {
		t.Fatal(err)
	}
}

// eventually polls the test's own precondition on the shoot (not the command under test).
func eventually(t *testing.T, name string, cond func(*gardencorev1beta1.Shoot) bool) *gardencorev1beta1.Shoot {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		s := getShoot(t, name)
		if cond(s) {
			return s
		}
		if time.Now().After(deadline) {
			t.Fatalf("shoot %s never got there: %+v", name, s.Spec.Hibernation)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestLifecycleVerbs(t *testing.T) {
	const name = "eco-lc"
	create(t, name)
	reconciled(t, name, false, "Succeeded")

	harness.Step(t, "hibernate: dry runs change nothing, --wait follows Gardener", func(t *testing.T) {
		before := getShoot(t, name).ResourceVersion
		for _, dry := range []string{"--dry-run", "--dry-run=server"} {
			if r := shoot(t, "hibernate", name, dry); r.Code != 0 || !strings.Contains(r.Stdout, "would be changed: spec.hibernation.enabled=true") {
				t.Fatalf("%s: exit %d %s %s", dry, r.Code, r.Stdout, r.Stderr)
			}
		}
		if getShoot(t, name).ResourceVersion != before {
			t.Fatal("a dry run changed the shoot")
		}
		done := runAsync("hibernate", name, "--wait", "--timeout", "1m")
		s := eventually(t, name, func(s *gardencorev1beta1.Shoot) bool {
			return s.Spec.Hibernation != nil && s.Spec.Hibernation.Enabled != nil && *s.Spec.Hibernation.Enabled
		})
		select {
		case r := <-done:
			t.Fatalf("--wait ended before Gardener observed generation %d: %d %s", s.Generation, r.Code, r.Stderr)
		case <-time.After(300 * time.Millisecond):
		}
		reconciled(t, name, true, "Succeeded")
		if r := <-done; r.Code != 0 || !strings.Contains(r.Stdout, "hibernate done") {
			t.Fatalf("exit %d %s %s", r.Code, r.Stdout, r.Stderr)
		}
		if r := shoot(t, "hibernate", name); r.Code != 0 || !strings.Contains(r.Stdout, "unchanged: already hibernated") {
			t.Fatalf("again: exit %d %s", r.Code, r.Stdout)
		}
	})

	harness.Step(t, "wake-up, then wake-up of an awake shoot changes nothing", func(t *testing.T) {
		r := shoot(t, "wake-up", name, "-o", "json")
		var res cmd.LifecycleResult
		if err := json.Unmarshal([]byte(r.Stdout), &res); err != nil || r.Code != 0 || res.Result != "requested" || res.Change != "spec.hibernation.enabled=false" {
			t.Fatalf("exit %d %v %s %s", r.Code, err, r.Stdout, r.Stderr)
		}
		reconciled(t, name, false, "Succeeded")
		before := getShoot(t, name).ResourceVersion
		if r := shoot(t, "wake-up", name); r.Code != 0 || !strings.Contains(r.Stdout, "already awake") || getShoot(t, name).ResourceVersion != before {
			t.Fatalf("awake: exit %d %s", r.Code, r.Stdout)
		}
	})

	harness.Step(t, "reconcile: the API server takes the annotation and bumps the generation", func(t *testing.T) {
		gen := getShoot(t, name).Generation
		done := runAsync("reconcile", name, "--wait", "--timeout", "1m")
		s := eventually(t, name, func(s *gardencorev1beta1.Shoot) bool { return s.Generation > gen })
		if s.Annotations["gardener.cloud/operation"] != "" {
			t.Errorf("the annotation stayed: %v", s.Annotations)
		}
		reconciled(t, name, false, "Succeeded")
		if r := <-done; r.Code != 0 || !strings.Contains(r.Stdout, "reconcile done") {
			t.Fatalf("exit %d %s %s", r.Code, r.Stdout, r.Stderr)
		}
	})

	harness.Step(t, "retry: refused on a healthy shoot, accepted on a failed one", func(t *testing.T) {
		if r := shoot(t, "retry", name); r.Code != 1 || !strings.Contains(r.Stderr, "retry applies to a shoot whose last operation failed") || !strings.Contains(r.Stderr, "kubectl shoot reconcile "+name) {
			t.Fatalf("healthy: exit %d %s", r.Code, r.Stderr)
		}
		reconciled(t, name, false, "Failed")
		gen := getShoot(t, name).Generation
		if r := shoot(t, "retry", name); r.Code != 0 || !strings.Contains(r.Stdout, "retry requested") {
			t.Fatalf("failed: exit %d %s %s", r.Code, r.Stdout, r.Stderr)
		}
		if s := getShoot(t, name); s.Generation <= gen {
			t.Errorf("retry did not bump the generation (%d)", s.Generation)
		}
		reconciled(t, name, false, "Succeeded")
	})

	harness.Step(t, "maintain stays until the maintenance controller takes it; a second one is not sent", func(t *testing.T) {
		if r := shoot(t, "maintain", name); r.Code != 0 || getShoot(t, name).Annotations["gardener.cloud/operation"] != "maintain" {
			t.Fatalf("exit %d %s %s", r.Code, r.Stdout, r.Stderr)
		}
		if r := shoot(t, "maintain", name); r.Code != 0 || !strings.Contains(r.Stdout, "already requested") {
			t.Fatalf("again: exit %d %s", r.Code, r.Stdout)
		}
		if r := shoot(t, "reconcile", name); r.Code != 1 || !strings.Contains(r.Stderr, `operation "maintain" pending`) {
			t.Fatalf("while maintain is pending: exit %d %s", r.Code, r.Stderr)
		}
		patch := []byte(`{"metadata":{"annotations":{"gardener.cloud/operation":null}}}`)
		if _, err := core.CoreV1beta1().Shoots(ns).Patch(context.Background(), name, types.MergePatchType, patch, metav1.PatchOptions{}); err != nil {
			t.Fatal(err)
		}
	})

	harness.Step(t, "the hibernation schedule is shown", func(t *testing.T) {
		patch := []byte(`{"spec":{"hibernation":{"schedules":[{"start":"00 20 * * 1,2,3,4,5","end":"00 07 * * 1,2,3,4,5","location":"Europe/Berlin"}]}}}`)
		if _, err := core.CoreV1beta1().Shoots(ns).Patch(context.Background(), name, types.MergePatchType, patch, metav1.PatchOptions{}); err != nil {
			t.Fatal(err)
		}
		if r := shoot(t, "wake-up", name); r.Code != 0 || !strings.Contains(r.Stdout, "its hibernation schedule: hibernate at 00 20 * * 1,2,3,4,5, wake up at 00 07 * * 1,2,3,4,5, (Europe/Berlin)") {
			t.Fatalf("exit %d %s %s", r.Code, r.Stdout, r.Stderr)
		}
	})

	if r := shoot(t, "hibernate", "eco-nope"); r.Code != 1 || !strings.Contains(r.Stderr, `shoot "eco-nope" does not exist`) {
		t.Fatalf("unknown shoot: exit %d %s", r.Code, r.Stderr)
	}
	if r := shoot(t, "hibernate", name, "--dry-run=maybe"); r.Code != 2 {
		t.Fatalf("bad --dry-run: exit %d", r.Code)
	}
}

// rotated plays gardenlet finishing a rotation step: the phases, the annotation removed, the
// generation observed.
func rotated(t *testing.T, name string, phase gardencorev1beta1.CredentialsRotationPhase) {
	t.Helper()
	ctx := context.Background()
	patch := []byte(`{"metadata":{"annotations":{"gardener.cloud/operation":null}}}`)
	if _, err := core.CoreV1beta1().Shoots(ns).Patch(ctx, name, types.MergePatchType, patch, metav1.PatchOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := setStatus(ctx, name, func(s *gardencorev1beta1.Shoot) {
		s.Status.ObservedGeneration = s.Generation
		s.Status.LastOperation = &gardencorev1beta1.LastOperation{Type: gardencorev1beta1.LastOperationTypeReconcile, State: gardencorev1beta1.LastOperationStateSucceeded, Progress: 100, LastUpdateTime: metav1.Now()}
		s.Status.Credentials = &gardencorev1beta1.ShootCredentials{Rotation: &gardencorev1beta1.ShootCredentialsRotation{
			CertificateAuthorities: &gardencorev1beta1.CARotation{Phase: phase}, ServiceAccountKey: &gardencorev1beta1.ServiceAccountKeyRotation{Phase: phase},
			ETCDEncryptionKey: &gardencorev1beta1.ETCDEncryptionKeyRotation{Phase: phase}}}
	}, nil); err != nil {
		t.Fatal(err)
	}
}

func TestRotateCredentials(t *testing.T) {
	const name = "eco-rot"
	create(t, name)
	reconciled(t, name, false, "Succeeded")
	if r := shoot(t, "rotate-credentials", name, "complete"); r.Code != 1 || !strings.Contains(r.Stderr, `rotation is "not started", not Prepared`) {
		t.Fatalf("complete first: exit %d %s", r.Code, r.Stderr)
	}
	done := runAsync("rotate-credentials", name, "start", "--wait", "--timeout", "1m")
	eventually(t, name, func(s *gardencorev1beta1.Shoot) bool {
		return s.Annotations["gardener.cloud/operation"] == "rotate-credentials-start"
	})
	rotated(t, name, gardencorev1beta1.RotationPrepared)
	if r := <-done; r.Code != 0 || !strings.Contains(r.Stdout, "rotate-credentials start done") {
		t.Fatalf("start: exit %d %s %s", r.Code, r.Stdout, r.Stderr)
	}
	if r := shoot(t, "rotate-credentials", name, "complete", "-o", "jsonpath={.result} {.change}"); r.Code != 0 || r.Stdout != "requested annotated gardener.cloud/operation=rotate-credentials-complete" {
		t.Fatalf("complete: exit %d %q %s", r.Code, r.Stdout, r.Stderr)
	}
	if r := shoot(t, "rotate-credentials", name, "complete"); r.Code != 0 || !strings.Contains(r.Stdout, "already requested") {
		t.Fatalf("complete again: exit %d %s", r.Code, r.Stdout)
	}
	for _, args := range [][]string{{"rotate-credentials", name, "finish"}, {"rotate-credentials", name, "start", "--kind", "kubeconfig"}, {"rotate-credentials", name, "complete", "--kind", "ssh-keypair"}} {
		if r := shoot(t, args...); r.Code != 2 {
			t.Errorf("%v: exit %d %s", args, r.Code, r.Stderr)
		}
	}
}
