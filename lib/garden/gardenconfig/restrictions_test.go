package gardenconfig

import (
	"testing"

	gardencorev1beta1 "github.com/gardener/gardener/pkg/apis/core/v1beta1"
)

// As gardenctl-v2 ac.CheckAccessRestrictions decides.
func TestRestrictions(t *testing.T) {
	configured := []AccessRestriction{{
		Key: "seed.gardener.cloud/eu-access", Msg: "EU access only",
		Options: []AccessRestrictionOption{
			{Key: "support.gardener.cloud/eu-access-for-cluster-addons", NotifyIf: false, Msg: "no add-on support from outside the EU"},
			{Key: "support.gardener.cloud/eu-access-for-cluster-nodes", NotifyIf: true, Msg: "nodes may be reached from outside the EU"},
		},
	}, {Key: "other", Msg: "never shown"}}
	shoot := func(opts map[string]string, names ...string) *gardencorev1beta1.Shoot {
		s := &gardencorev1beta1.Shoot{}
		for _, n := range names {
			s.Spec.AccessRestrictions = append(s.Spec.AccessRestrictions, gardencorev1beta1.AccessRestrictionWithOptions{
				AccessRestriction: gardencorev1beta1.AccessRestriction{Name: n}, Options: opts})
		}
		return s
	}
	if m := Restrictions(configured, shoot(nil)); len(m) != 0 {
		t.Fatalf("a shoot without restrictions: %+v", m)
	}
	m := Restrictions(configured, shoot(map[string]string{
		"support.gardener.cloud/eu-access-for-cluster-addons": "false",
		"support.gardener.cloud/eu-access-for-cluster-nodes":  "maybe", // does not parse: skipped
	}, "eu-access-only"))
	if len(m) != 1 || m[0].Header != "EU access only" || len(m[0].Items) != 1 || m[0].Items[0] != "no add-on support from outside the EU" {
		t.Fatalf("legacy key, options: %+v", m)
	}
	if m := Restrictions(configured, shoot(nil, "something-else")); len(m) != 0 {
		t.Fatalf("an unconfigured restriction: %+v", m)
	}
}
