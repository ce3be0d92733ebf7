package shootstate

import (
	"fmt"

	gardencorev1beta1 "github.com/gardener/gardener/pkg/apis/core/v1beta1"
)

// Unattended says why no controller is working on the shoot, when that is so: no seed was
// assigned (gardener-scheduler sets spec.seedName), or the seed's gardenlet has not observed
// the shoot's latest change (it runs the operations and sets status.observedGeneration). A
// wait on such a shoot cannot end by itself, however long it is.
func Unattended(s *gardencorev1beta1.Shoot) (string, bool) {
	if s == nil {
		return "", false
	}
	if s.Spec.SeedName == nil || *s.Spec.SeedName == "" {
		return fmt.Sprintf("no seed is assigned to shoot %s: the garden's scheduler has not placed it (the garden runs none, or no seed fits its region and provider)", s.Name), true
	}
	if s.Status.ObservedGeneration < s.Generation {
		return fmt.Sprintf("the gardenlet of seed %s has not picked up shoot %s's change (generation %d, observed %d): it is not running or cannot reach the garden",
			*s.Spec.SeedName, s.Name, s.Generation, s.Status.ObservedGeneration), true
	}
	return "", false
}
