package gardencmd

import (
	"context"
	"errors"
	"strings"
	"testing"

	gardencorev1beta1 "github.com/gardener/gardener/pkg/apis/core/v1beta1"
	seedmanagementv1alpha1 "github.com/gardener/gardener/pkg/apis/seedmanagement/v1alpha1"
	"github.com/gardener/gardener/pkg/client/seedmanagement/clientset/versioned/fake"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	k8stesting "k8s.io/client-go/testing"
)

func TestBacksManagedSeed(t *testing.T) {
	ms := &seedmanagementv1alpha1.ManagedSeed{ObjectMeta: metav1.ObjectMeta{Name: "aws-ha", Namespace: "garden"},
		Spec: seedmanagementv1alpha1.ManagedSeedSpec{Shoot: &seedmanagementv1alpha1.Shoot{Name: "soil"}}}
	cs := fake.NewSimpleClientset(ms)
	shoot := func(ns, name string) *gardencorev1beta1.Shoot {
		return &gardencorev1beta1.Shoot{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}}
	}
	for _, tc := range []struct {
		s    *gardencorev1beta1.Shoot
		want bool
	}{
		{shoot("garden", "soil"), true},
		{shoot("garden", "other"), false},
		{shoot("garden-eco", "soil"), false}, // ManagedSeeds live in garden only: no call made
	} {
		got, err := backsManagedSeed(context.Background(), cs, tc.s)
		if err != nil || got != tc.want {
			t.Errorf("%s/%s: %v %v", tc.s.Namespace, tc.s.Name, got, err)
		}
	}
	// A user who may not list ManagedSeeds gets an error that says so, not "not a seed".
	cs.PrependReactor("list", "managedseeds", func(k8stesting.Action) (bool, runtime.Object, error) {
		return true, nil, apierrors.NewForbidden(schema.GroupResource{Group: "seedmanagement.gardener.cloud", Resource: "managedseeds"}, "", errors.New("no"))
	})
	_, err := backsManagedSeed(context.Background(), cs, shoot("garden", "soil"))
	if err == nil || !strings.Contains(err.Error(), "--access-level") {
		t.Fatalf("forbidden: %v", err)
	}
}
