package lifecycle

import (
	"strings"
	"testing"

	gardencorev1beta1 "github.com/gardener/gardener/pkg/apis/core/v1beta1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/osc-coco/kubectl-plugins/plugins/shoot/shootstate"
)

func shoot(hibernated *bool, state gardencorev1beta1.LastOperationState, annotation string) *gardencorev1beta1.Shoot {
	s := &gardencorev1beta1.Shoot{ObjectMeta: metav1.ObjectMeta{Name: "eco-sbx", Generation: 3}}
	if hibernated != nil {
		s.Spec.Hibernation = &gardencorev1beta1.Hibernation{Enabled: hibernated}
	}
	if state != "" {
		s.Status.LastOperation = &gardencorev1beta1.LastOperation{Type: gardencorev1beta1.LastOperationTypeReconcile, State: state, Progress: 100}
	}
	if annotation != "" {
		s.Annotations = map[string]string{"gardener.cloud/operation": annotation}
	}
	s.Status.ObservedGeneration = 3
	return s
}

func TestPlan(t *testing.T) {
	yes, no := true, false
	ok, failed := gardencorev1beta1.LastOperationStateSucceeded, gardencorev1beta1.LastOperationStateFailed
	tests := []struct {
		name  string
		s     *gardencorev1beta1.Shoot
		v     Verb
		patch string
		noop  string
		err   string
	}{
		{"hibernate an awake shoot", shoot(nil, ok, ""), Hibernate, `{"spec":{"hibernation":{"enabled":true}}}`, "", ""},
		{"hibernate a hibernated one", shoot(&yes, ok, ""), Hibernate, "", "already hibernated", ""},
		{"wake up a hibernated one", shoot(&yes, ok, ""), WakeUp, `{"spec":{"hibernation":{"enabled":false}}}`, "", ""},
		{"wake up an awake one", shoot(&no, ok, ""), WakeUp, "", "already awake", ""},
		{"reconcile", shoot(nil, ok, ""), Reconcile, `{"metadata":{"annotations":{"gardener.cloud/operation":"reconcile"}}}`, "", ""},
		{"maintain", shoot(nil, ok, ""), Maintain, `{"metadata":{"annotations":{"gardener.cloud/operation":"maintain"}}}`, "", ""},
		{"maintain already requested", shoot(nil, ok, "maintain"), Maintain, "", "already requested", ""},
		{"another operation pending", shoot(nil, ok, "rotate-ca-start"), Reconcile, "", "", `operation "rotate-ca-start" pending`},
		{"retry a failed shoot", shoot(nil, failed, ""), Retry, `{"metadata":{"annotations":{"gardener.cloud/operation":"retry"}}}`, "", ""},
		{"retry a healthy shoot", shoot(nil, ok, ""), Retry, "", "", "last operation failed; shoot eco-sbx's is Reconcile Succeeded"},
		{"retry a new shoot", shoot(nil, "", ""), Retry, "", "", "is none yet"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Plan(tt.s, tt.v)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("error %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil || string(c.Patch) != tt.patch || !strings.Contains(c.Noop, tt.noop) || (tt.noop == "" && c.Noop != "") {
				t.Fatalf("%+v %v", c, err)
			}
		})
	}
	deleting := shoot(nil, ok, "")
	deleting.DeletionTimestamp = &metav1.Time{}
	if _, err := Plan(deleting, Hibernate); err == nil || !strings.Contains(err.Error(), "being deleted") {
		t.Fatalf("%v", err)
	}
}

func TestDone(t *testing.T) {
	yes := true
	ok, failed, processing := gardencorev1beta1.LastOperationStateSucceeded, gardencorev1beta1.LastOperationStateFailed, gardencorev1beta1.LastOperationStateProcessing
	hibernated := shoot(&yes, ok, "")
	hibernated.Status.IsHibernated = true
	tests := []struct {
		name string
		s    *gardencorev1beta1.Shoot
		v    Verb
		gen  int64
		want shootstate.Outcome
	}{
		{"a generation not yet observed (a failed last operation from before)", shoot(nil, failed, ""), Retry, 4, shootstate.Waiting},
		{"observed and succeeded", shoot(nil, ok, ""), Reconcile, 3, shootstate.Done},
		{"still processing", shoot(nil, processing, ""), Reconcile, 3, shootstate.Waiting},
		{"failed after the change", shoot(nil, failed, ""), Reconcile, 3, shootstate.Failed},
		{"maintain not picked up", shoot(nil, ok, "maintain"), Maintain, 3, shootstate.Waiting},
		{"hibernation reconciled but not hibernated yet", shoot(&yes, ok, ""), Hibernate, 3, shootstate.Waiting},
		{"hibernated", hibernated, Hibernate, 3, shootstate.Done},
		{"woken up but still hibernated", hibernated, WakeUp, 3, shootstate.Waiting},
	}
	for _, tt := range tests {
		if got, msg := Done(tt.s, tt.v, tt.gen); got != tt.want {
			t.Errorf("%s: %v (%s), want %v", tt.name, got, msg, tt.want)
		}
	}
}

func TestSchedules(t *testing.T) {
	start, end, loc := "00 20 * * 1,2,3,4,5", "00 07 * * 1,2,3,4,5", "Europe/Berlin"
	s := shoot(nil, "", "")
	if Schedules(s) != "" {
		t.Fatal("schedules of a shoot without any")
	}
	s.Spec.Hibernation = &gardencorev1beta1.Hibernation{Schedules: []gardencorev1beta1.HibernationSchedule{{Start: &start, End: &end, Location: &loc}}}
	if got := Schedules(s); got != "hibernate at 00 20 * * 1,2,3,4,5, wake up at 00 07 * * 1,2,3,4,5, (Europe/Berlin)" {
		t.Fatalf("%q", got)
	}
}

func rotating(ca, sa gardencorev1beta1.CredentialsRotationPhase) *gardencorev1beta1.Shoot {
	s := shoot(nil, gardencorev1beta1.LastOperationStateSucceeded, "")
	s.Status.Credentials = &gardencorev1beta1.ShootCredentials{Rotation: &gardencorev1beta1.ShootCredentialsRotation{
		CertificateAuthorities: &gardencorev1beta1.CARotation{Phase: ca}, ServiceAccountKey: &gardencorev1beta1.ServiceAccountKeyRotation{Phase: sa}}}
	return s
}

func TestPlanRotation(t *testing.T) {
	yes := true
	prepared, completed := gardencorev1beta1.RotationPrepared, gardencorev1beta1.RotationCompleted
	hibernated := shoot(&yes, gardencorev1beta1.LastOperationStateSucceeded, "")
	for _, tc := range []struct {
		name     string
		s        *gardencorev1beta1.Shoot
		kind     string
		complete bool
		op, err  string
	}{
		{"start all", rotating("", ""), "all", false, "rotate-credentials-start", ""},
		{"complete all when both are prepared", rotating(prepared, prepared), "all", true, "rotate-credentials-complete", ""},
		{"complete all before the CA is prepared", rotating(completed, prepared), "all", true, "", `the ca rotation is "Completed", not Prepared`},
		{"complete the CA", rotating(prepared, ""), "ca", true, "rotate-ca-complete", ""},
		{"start the service account key", rotating("", ""), "service-account-key", false, "rotate-serviceaccount-key-start", ""},
		{"ssh keypair", rotating("", ""), "ssh-keypair", false, "rotate-ssh-keypair", ""},
		{"ssh keypair has no complete", rotating("", ""), "ssh-keypair", true, "", "no complete step"},
		{"unknown kind", rotating("", ""), "kubeconfig", false, "", `unknown --kind "kubeconfig"`},
		{"credentials of a hibernated shoot", hibernated, "all", false, "", "hibernated shoot"},
		{"the CA of a hibernated shoot", hibernated, "ca", false, "rotate-ca-start", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := PlanRotation(tc.s, tc.kind, tc.complete)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil || !strings.Contains(string(c.Patch), `"gardener.cloud/operation":"`+tc.op+`"`) {
				t.Fatalf("%s %v", c.Patch, err)
			}
		})
	}
}

func TestRotationDone(t *testing.T) {
	prepared, preparing := gardencorev1beta1.RotationPrepared, gardencorev1beta1.RotationPreparing
	taken := rotating(preparing, preparing)
	taken.Annotations = map[string]string{"gardener.cloud/operation": "rotate-credentials-start"}
	for _, tc := range []struct {
		name string
		s    *gardencorev1beta1.Shoot
		gen  int64
		want shootstate.Outcome
	}{
		{"not observed", rotating("", ""), 4, shootstate.Waiting},
		{"gardenlet still has the annotation", taken, 3, shootstate.Waiting},
		{"reconciled but still preparing", rotating(preparing, prepared), 3, shootstate.Waiting},
		{"prepared", rotating(prepared, prepared), 3, shootstate.Done},
	} {
		if got, msg := RotationDone(tc.s, "all", false, tc.gen); got != tc.want {
			t.Errorf("%s: %v (%s), want %v", tc.name, got, msg, tc.want)
		}
	}
}
