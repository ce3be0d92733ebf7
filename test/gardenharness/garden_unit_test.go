package gardenharness

import (
	"testing"
	"time"
)

// The retries of a create that admission refuses for lag wait about 25 s in all: a Cap would
// end them at the first wait past it. As wait.ExponentialBackoff runs them: a try, then a wait
// (Backoff.Step) before each further try while Steps lasts.
func TestAdmissionLagWaits(t *testing.T) {
	b, tries, total := admissionLag, 1, time.Duration(0)
	for b.Steps > 1 {
		total += b.Step()
		tries++
	}
	if tries != 10 || total < 20*time.Second || total > 30*time.Second {
		t.Errorf("%d tries, %s of waits; want 10 and about 25 s", tries, total)
	}
}
