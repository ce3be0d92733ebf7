// Package cmdutil is what kubectl coco's command packages share: the field manager their
// writes carry, the report vocabulary of hops and points, and how a wait that did not finish is
// reported.
package cmdutil

import (
	"context"
	"errors"

	"github.com/osc-coco/kubectl-plugins/lib/clierr"
	"github.com/osc-coco/kubectl-plugins/lib/report"
	"github.com/osc-coco/kubectl-plugins/lib/waitfor"
)

// ManagedBy is the field manager and app.kubernetes.io/managed-by of what kubectl coco writes.
const ManagedBy = "kubectl-coco"

// ManagedByLabel is the label that says who manages an object (ManagedBy for ours).
const ManagedByLabel = "app.kubernetes.io/managed-by"

// Helper is the binary beside kubectl-coco that runs the commands needing the Helm SDK, so
// that the others start without Helm's package initialisation (lib/cli.Helped).
const Helper = "coco-helm"

// Hop states, in the collection's vocabulary (lib/report).
const (
	HopOK         = string(report.Pass)
	HopFail       = string(report.Fail)
	HopCannotTell = string(report.Unknown)
	HopSkipped    = string(report.Skip)
)

// Hop is one step between a guest and its secrets (attest check), or one point of a
// workload's confidentiality (verify).
type Hop struct {
	Name   string `json:"name"`
	Status string `json:"status"`
	Detail string `json:"detail"`
	Fix    string `json:"fix,omitempty"`
}

func WaitError(err error, what, fix string) error {
	switch {
	case errors.Is(err, context.Canceled):
		return &clierr.Error{Code: clierr.CodeInterrupted, Msg: "interrupted while waiting (the release stays installed): " + what}
	case errors.Is(err, waitfor.ErrTimeout):
		return &clierr.Error{Code: clierr.CodeFailure, Msg: "timed out: " + what, Fix: fix + ", or raise --timeout"}
	}
	return clierr.Wrap(err, "waiting: %s", what)
}
