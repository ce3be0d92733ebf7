// Package clierr carries what a command tells the user when it fails: what went wrong (naming
// the object), how to fix it, and the process exit code.
package clierr

import (
	"errors"
	"fmt"
	"io"
	"strings"
)

// Exit codes shared by every plugin.
const (
	CodeOK          = 0
	CodeFailure     = 1 // the command ran and the answer is "no" (not ready, failed check, API error)
	CodeUsage       = 2 // bad flags, arguments or input files
	CodeInterrupted = 130
)

// Error is a failure with an exit code and an optional fix.
type Error struct {
	Code int
	Msg  string
	Fix  string
	Err  error
}

func (e *Error) Error() string {
	if e.Err != nil && e.Msg == "" {
		return e.Err.Error()
	}
	if e.Err != nil {
		return e.Msg + ": " + e.Err.Error()
	}
	return e.Msg
}

func (e *Error) Unwrap() error { return e.Err }

// Usagef reports bad input (exit 2) with the fix.
func Usagef(fix, format string, a ...any) *Error {
	return &Error{Code: CodeUsage, Msg: fmt.Sprintf(format, a...), Fix: fix}
}

// Failf reports a failure (exit 1) with the fix.
func Failf(fix, format string, a ...any) *Error {
	return &Error{Code: CodeFailure, Msg: fmt.Sprintf(format, a...), Fix: fix}
}

// Wrap adds what was being done to a cause, keeping a code and fix the cause already has.
func Wrap(err error, format string, a ...any) error {
	if err == nil {
		return nil
	}
	msg := fmt.Sprintf(format, a...)
	var e *Error
	if errors.As(err, &e) {
		return &Error{Code: e.Code, Msg: msg, Fix: e.Fix, Err: err}
	}
	return &Error{Code: CodeFailure, Msg: msg, Err: err}
}

// ErrInterrupted is returned when the user pressed Ctrl-C or the process got SIGTERM.
var ErrInterrupted = &Error{Code: CodeInterrupted, Msg: "interrupted"}

// Silent marks an outcome already reported on stdout (a "not ready" verdict): only the exit
// code is left to give.
type Silent struct{ Code int }

func (s *Silent) Error() string { return fmt.Sprintf("exit status %d", s.Code) }

// ExitCode maps an error to the process exit code.
func ExitCode(err error) int {
	if err == nil {
		return CodeOK
	}
	var s *Silent
	if errors.As(err, &s) {
		return s.Code
	}
	if errors.Is(err, ErrInterrupted) {
		return CodeInterrupted
	}
	var e *Error
	if errors.As(err, &e) && e.Code != 0 {
		return e.Code
	}
	return CodeFailure
}

// Print writes the error for a person: "error: ..." and, when known, the fix. Nothing is
// printed for Silent outcomes.
func Print(w io.Writer, err error) {
	var s *Silent
	if err == nil || errors.As(err, &s) {
		return
	}
	fmt.Fprintf(w, "error: %s\n", strings.TrimSpace(err.Error()))
	if fix := FixOf(err); fix != "" {
		fmt.Fprintf(w, "  fix: %s\n", fix)
	}
}

// FixOf returns the first fix found along the error chain.
func FixOf(err error) string {
	for err != nil {
		if e, ok := err.(*Error); ok && e.Fix != "" {
			return e.Fix
		}
		err = errors.Unwrap(err)
	}
	return ""
}
