package cli

import (
	"io"

	"github.com/osc-coco/kubectl-plugins/lib/clierr"
	"github.com/osc-coco/kubectl-plugins/lib/output"
)

// PrintVerdict prints a report with the command's printer and turns a negative verdict (ok
// false) into exit code 1 without a second message.
func PrintVerdict[R any](p *output.Printer[R], w io.Writer, report R, ok bool) error {
	if err := p.Print(w, report); err != nil {
		return err
	}
	return Verdict(ok)
}

// Verdict is the exit of a read command whose report has a verdict: nil when ok, else exit 1
// without a second message (the report said why).
func Verdict(ok bool) error {
	if !ok {
		return &clierr.Silent{Code: clierr.CodeFailure}
	}
	return nil
}

// PrintFailed is for a verdict command that failed before its verdict: a script that asked
// for -o json|yaml|... still gets the report (saying what failed), and err still goes to
// stderr with its exit code. People get the error alone.
func PrintFailed[R any](p *output.Printer[R], w io.Writer, report R, err error) error {
	if p.Format().Structured() {
		if perr := p.Print(w, report); perr != nil {
			return perr
		}
	}
	return err
}
