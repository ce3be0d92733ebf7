package cli

import (
	"io"

	"github.com/osc-coco/kubectl-plugins/lib/clierr"
	"github.com/osc-coco/kubectl-plugins/lib/output"
)

// PrintVerdict prints a report as JSON/YAML, or for people through human, and turns a negative
// verdict (ok false) into exit code 1 without a second message.
func PrintVerdict(w io.Writer, format output.Format, report any, human func() error, ok bool) error {
	var err error
	if format.Structured() {
		err = output.Print(w, format, report)
	} else {
		err = human()
	}
	if err != nil {
		return err
	}
	if !ok {
		return &clierr.Silent{Code: clierr.CodeFailure}
	}
	return nil
}
