package harness

import "testing"

// Step runs one step of a story test as a subtest, so that a failure names its step; a story's
// later steps build on the earlier ones, so a failed step ends the story.
func Step(t *testing.T, name string, fn func(t *testing.T)) {
	t.Helper()
	if !t.Run(name, fn) {
		t.FailNow()
	}
}
