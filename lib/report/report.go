// Package report is the vocabulary every JSON and YAML report of the collection shares
// (docs/report-schema.md): the status of one check, hop or point, whatever plugin prints it.
package report

import "fmt"

// Status is the outcome of one item of a report.
type Status string

// The statuses: an item passed, passed with a warning, failed, was not checked (skip), or could
// not be checked because a read was forbidden or failed (unknown: never taken for pass or fail).
const (
	Pass    Status = "pass"
	Warn    Status = "warn"
	Fail    Status = "fail"
	Skip    Status = "skip"
	Unknown Status = "unknown"
)

// Statuses are all of them, for schema checks.
var Statuses = []Status{Pass, Warn, Fail, Skip, Unknown}

// Replicas counts a workload's pods: how many are ready (available) of how many it wants,
// as numbers a script can compare (not "1/1").
type Replicas struct {
	Ready   int32 `json:"ready"`
	Desired int32 `json:"desired"`
}

// String is kubectl's READY column: "1/1".
func (r Replicas) String() string { return fmt.Sprintf("%d/%d", r.Ready, r.Desired) }
