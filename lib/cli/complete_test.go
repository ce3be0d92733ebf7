package cli

import (
	"strings"
	"testing"
)

func TestCompletionArgs(t *testing.T) {
	for _, tc := range []struct {
		argv0 string
		args  []string
		want  string
		ok    bool
	}{
		{"/home/u/.krew/bin/kubectl_complete-shoot", []string{"status", ""}, "__complete status ", true},
		{`C:\krew\bin\kubectl_complete-coco.exe`, []string{"smoke-test", "--runtime-class", "k"}, "__complete smoke-test --runtime-class k", true},
		{"/usr/local/bin/kubectl-shoot", []string{"list"}, "", false},
	} {
		got, ok := completionArgs(tc.argv0, tc.args)
		if ok != tc.ok || strings.Join(got, " ") != tc.want {
			t.Errorf("%s %v: %q %v", tc.argv0, tc.args, got, ok)
		}
	}
}
