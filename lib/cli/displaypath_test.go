package cli

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"k8s.io/cli-runtime/pkg/genericiooptions"
)

// Usage errors name the command once as kubectl plugin: "kubectl teecheck version", never "kubectl kubectl".
func TestDisplayPathOnce(t *testing.T) {
	var out, errOut bytes.Buffer
	root, _ := NewRoot("teecheck", "s", "l", genericiooptions.IOStreams{In: &bytes.Buffer{}, Out: &out, ErrOut: &errOut})
	root.SetArgs([]string{"version", "extra"})
	if code := ExecuteContext(context.Background(), root, genericiooptions.IOStreams{Out: &out, ErrOut: &errOut}); code != 2 || !strings.Contains(errOut.String(), "see 'kubectl teecheck version --help'") || strings.Contains(errOut.String(), "kubectl kubectl") {
		t.Errorf("exit %d %q", code, errOut.String())
	}
}
