package names

import "testing"

func TestSuggest(t *testing.T) {
	known := []string{"vm-dedicated-2-4", "vm-dedicated-4-16", "vm-dedicated-16-128"}
	if s := Suggest("vm-dedicated-4-61", known, 3); len(s) == 0 || s[0] != "vm-dedicated-4-16" {
		t.Fatalf("%v", s)
	}
	if s := Suggest("m5.large", known, 3); len(s) != 0 {
		t.Fatalf("unrelated name got suggestions %v", s)
	}
}
