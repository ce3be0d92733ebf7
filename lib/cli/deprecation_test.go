package cli

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericiooptions"
)

// A deprecated flag's notice goes to stderr: stdout is what scripts read.
func TestDeprecatedFlagNoticeOnStderr(t *testing.T) {
	var out, errOut bytes.Buffer
	streams := genericiooptions.IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &errOut}
	root, _ := NewRoot("test", "", "", streams)
	var v string
	sub := &cobra.Command{Use: "sub", RunE: func(cmd *cobra.Command, _ []string) error {
		_, err := cmd.OutOrStdout().Write([]byte(v))
		return err
	}}
	sub.Flags().StringVar(&v, "old", "", "")
	_ = sub.Flags().MarkDeprecated("old", "use --new")
	root.AddCommand(sub)
	root.SetArgs([]string{"sub", "--old", "x"})
	if code := ExecuteContext(context.Background(), root, streams); code != 0 || out.String() != "x" ||
		errOut.String() != "warning: flag --old has been deprecated, use --new\n" {
		t.Fatalf("exit %d stdout %q stderr %q", code, out.String(), errOut.String())
	}
}
