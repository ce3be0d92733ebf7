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
	"k8s.io/apimachinery/pkg/types"

	cmd "github.com/osc-coco/kubectl-plugins/plugins/shoot/cmd/gardencmd"
	"github.com/osc-coco/kubectl-plugins/test/harness"
)

func TestStatus(t *testing.T) {
	r := shoot(t, "status", "eco-dev")
	if r.Code != 0 || !strings.Contains(r.Stdout, "Reconcile Succeeded (100%) [####################] 100%") || !strings.Contains(r.Stdout, "EveryNodeReady") {
		t.Fatalf("%d\n%s%s", r.Code, r.Stdout, r.Stderr)
	}
	r = shoot(t, "status", "eco-dev", "-o", "json")
	var st struct {
		Kind, Name, Status string
		Progress           int
		Ready              bool
	}
	if err := json.Unmarshal([]byte(r.Stdout), &st); err != nil || st.Kind != "ShootStatus" || st.Name != "eco-dev" || !st.Ready || st.Progress != 100 {
		t.Fatalf("%v %s", err, r.Stdout)
	}
}

func TestWaitFollowsStatusAndTimesOut(t *testing.T) {
	create(t, "eco-w1")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	done := make(chan harness.Result, 1)
	go func() { done <- harness.Run(ctx, cmd.NewRoot, "", "wait", "eco-w1", "--timeout", "30s") }()
	progress(t, "eco-w1", "Create", "Error", 20) // Gardener retries errors: the wait goes on
	select {
	case r := <-done:
		t.Fatalf("wait ended on a retried error: %d %s", r.Code, r.Stderr)
	case <-time.After(300 * time.Millisecond):
	}
	progress(t, "eco-w1", "Create", "Succeeded", 100)
	if r := <-done; r.Code != 0 || !strings.Contains(r.Stdout, "shoot eco-w1 is reconciled") {
		t.Fatalf("%d %s %s", r.Code, r.Stdout, r.Stderr)
	}

	create(t, "eco-w2")
	r := shoot(t, "wait", "eco-w2", "--timeout", "1s")
	if r.Code != 1 || !strings.Contains(r.Stderr, "was not reconciled within 1s") || !strings.Contains(r.Stderr, "kubectl shoot wait eco-w2") {
		t.Fatalf("timeout: %d %s", r.Code, r.Stderr)
	}
	r = shoot(t, "wait", "eco-w2", "--for", "gone")
	if r.Code != 2 {
		t.Fatalf("bad --for: %d", r.Code)
	}
}

func create(t *testing.T, name string) {
	t.Helper()
	if r := shoot(t, "create", name, "--machine-type", "vm-dedicated-2-4"); r.Code != 0 {
		t.Fatalf("create %s: %d %s", name, r.Code, r.Stderr)
	}
}

func TestDeleteNeedsConfirmation(t *testing.T) {
	create(t, "eco-del")
	// Gardener itself refuses a deletion without the confirmation annotation.
	err := core.CoreV1beta1().Shoots(ns).Delete(context.Background(), "eco-del", metav1.DeleteOptions{})
	if err == nil || !strings.Contains(err.Error(), "confirmation.gardener.cloud/deletion") {
		t.Fatalf("DeletionConfirmation admission is not active: %v", err)
	}
	r := shootStdin(t, "", "delete", "eco-del")
	if r.Code != 2 || !strings.Contains(r.Stderr, "not confirmed") || !shootExists(t, "eco-del") {
		t.Fatalf("no answer: %d %s", r.Code, r.Stderr)
	}
	r = shootStdin(t, "eco-dev\n", "delete", "eco-del")
	if r.Code != 1 || !strings.Contains(r.Stderr, `got "eco-dev"`) || !shootExists(t, "eco-del") {
		t.Fatalf("wrong name: %d %s", r.Code, r.Stderr)
	}
	if getShoot(t, "eco-del").Annotations[cmd.ConfirmationAnnotation] != "" {
		t.Fatal("an unconfirmed delete annotated the shoot")
	}
	r = shoot(t, "delete", "eco-del", "--dry-run")
	if r.Code != 0 || !shootExists(t, "eco-del") {
		t.Fatalf("dry run: %d %s", r.Code, r.Stderr)
	}
	r = shootStdin(t, "eco-del\n", "delete", "eco-del")
	if r.Code != 0 || shootExists(t, "eco-del") {
		t.Fatalf("confirmed: %d %s %s", r.Code, r.Stdout, r.Stderr)
	}
	r = shoot(t, "delete", "eco-del", "--yes")
	if r.Code != 0 || !strings.Contains(r.Stdout, "nothing to delete") {
		t.Fatalf("second delete: %d %s", r.Code, r.Stdout)
	}
}

// TestDeleteWait keeps the shoot with a finalizer, as gardenlet does until the cluster is gone.
func TestDeleteWait(t *testing.T) {
	create(t, "eco-del2")
	patch := []byte(`{"metadata":{"finalizers":["gardener"]}}`)
	if _, err := core.CoreV1beta1().Shoots(ns).Patch(context.Background(), "eco-del2", types.MergePatchType, patch, metav1.PatchOptions{}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	done := make(chan harness.Result, 1)
	go func() {
		done <- harness.Run(ctx, cmd.NewRoot, "", "delete", "eco-del2", "--yes", "--wait", "--timeout", "30s")
	}()
	deadline := time.Now().Add(30 * time.Second)
	for getShoot(t, "eco-del2").DeletionTimestamp == nil {
		if time.Now().After(deadline) {
			t.Fatal("not marked for deletion")
		}
		time.Sleep(20 * time.Millisecond) // the test's own precondition
	}
	progress(t, "eco-del2", "Delete", "Processing", 50)
	select {
	case r := <-done:
		t.Fatalf("delete --wait returned while the shoot exists: %d %s", r.Code, r.Stderr)
	case <-time.After(300 * time.Millisecond):
	}
	s := getShoot(t, "eco-del2")
	s.Finalizers = nil
	if _, err := core.CoreV1beta1().Shoots(ns).Update(context.Background(), s, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	r := <-done
	if r.Code != 0 || !strings.Contains(r.Stdout, "shoot eco-del2 deleted") {
		t.Fatalf("%d %s %s", r.Code, r.Stdout, r.Stderr)
	}
	if _, err := core.CoreV1beta1().Shoots(ns).Get(context.Background(), "eco-del2", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Fatalf("shoot still there: %v", err)
	}
	_ = gardencorev1beta1.Shoot{}
}
