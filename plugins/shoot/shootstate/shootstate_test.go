package shootstate

import (
	"strings"
	"testing"
	"time"

	gardencorev1beta1 "github.com/gardener/gardener/pkg/apis/core/v1beta1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
)

func shoot(gen, observed int64, lo *gardencorev1beta1.LastOperation) *gardencorev1beta1.Shoot {
	s := &gardencorev1beta1.Shoot{ObjectMeta: metav1.ObjectMeta{Name: "s", Namespace: "garden-eco", Generation: gen}}
	s.Status.ObservedGeneration = observed
	s.Status.LastOperation = lo
	return s
}

func op(t gardencorev1beta1.LastOperationType, st gardencorev1beta1.LastOperationState, p int32) *gardencorev1beta1.LastOperation {
	return &gardencorev1beta1.LastOperation{Type: t, State: st, Progress: p, Description: "d"}
}

func TestReconciled(t *testing.T) {
	now := metav1.Now()
	deleting := shoot(1, 1, op("Reconcile", "Succeeded", 100))
	deleting.DeletionTimestamp = &now
	for name, tc := range map[string]struct {
		s    *gardencorev1beta1.Shoot
		want Outcome
	}{
		"new":            {shoot(1, 0, nil), Waiting},
		"processing":     {shoot(1, 1, op("Create", "Processing", 40)), Waiting},
		"error retried":  {shoot(1, 1, op("Create", "Error", 40)), Waiting},
		"failed":         {shoot(1, 1, op("Create", "Failed", 40)), Failed},
		"created":        {shoot(1, 1, op("Create", "Succeeded", 100)), Done},
		"stale":          {shoot(2, 1, op("Reconcile", "Succeeded", 100)), Waiting},
		"reconciled":     {shoot(2, 2, op("Reconcile", "Succeeded", 100)), Done},
		"deleting":       {deleting, Failed},
		"delete running": {shoot(1, 1, op("Delete", "Processing", 10)), Failed},
	} {
		if got, msg := Reconciled(tc.s); got != tc.want || msg == "" {
			t.Errorf("%s: %v %q", name, got, msg)
		}
	}
	if got, _ := Deleting(deleting); got != Waiting {
		t.Fatal("deleting shoot without a Delete operation is not waiting")
	}
	d := shoot(1, 1, op("Delete", "Failed", 10))
	d.DeletionTimestamp = &now
	if got, _ := Deleting(d); got != Failed {
		t.Fatal("failed delete not reported")
	}
}

func TestSummaryColumns(t *testing.T) {
	s := shoot(1, 1, op("Reconcile", "Succeeded", 100))
	s.Labels = map[string]string{"shoot.gardener.cloud/status": "healthy"}
	s.Spec.CloudProfile = &gardencorev1beta1.CloudProfileReference{Kind: "NamespacedCloudProfile", Name: "osc-eco"}
	s.Spec.Hibernation = &gardencorev1beta1.Hibernation{Enabled: ptr.To(true)}
	s.Status.Conditions = []gardencorev1beta1.Condition{{Type: gardencorev1beta1.ShootEveryNodeReady, Status: "False"}, {Type: gardencorev1beta1.ShootAPIServerAvailable, Status: "True"}}
	sum := Summarize(s, "eco")
	if sum.LastOperationColumn() != "Reconcile Succeeded (100%)" || sum.StatusColumn() != "healthy" || sum.CloudProfile != "garden-eco/osc-eco" ||
		sum.Hibernation != "Hibernating" || sum.ConditionColumn(gardencorev1beta1.ShootEveryNodeReady) != "False" ||
		sum.ConditionColumn(gardencorev1beta1.ShootControlPlaneHealthy) != "<unknown>" || sum.Conditions[0].Type != "APIServerAvailable" {
		t.Fatalf("%+v", sum)
	}
	if Age(time.Now().Add(-49*time.Hour), time.Now()) != "2d1h" {
		t.Fatal(Age(time.Now().Add(-49*time.Hour), time.Now()))
	}
}

func TestUnattended(t *testing.T) {
	seed := "aws-eu1"
	for name, c := range map[string]struct {
		s    gardencorev1beta1.Shoot
		want string
	}{
		"no seed":         {gardencorev1beta1.Shoot{}, "no seed is assigned"},
		"not observed":    {gardencorev1beta1.Shoot{ObjectMeta: metav1.ObjectMeta{Generation: 2}, Spec: gardencorev1beta1.ShootSpec{SeedName: &seed}}, "gardenlet of seed aws-eu1"},
		"being worked on": {gardencorev1beta1.Shoot{ObjectMeta: metav1.ObjectMeta{Generation: 2}, Spec: gardencorev1beta1.ShootSpec{SeedName: &seed}, Status: gardencorev1beta1.ShootStatus{ObservedGeneration: 2}}, ""},
	} {
		why, stuck := Unattended(&c.s)
		if stuck != (c.want != "") || !strings.Contains(why, c.want) {
			t.Errorf("%s: %v %q", name, stuck, why)
		}
	}
}
