package cloudprofile

import (
	"fmt"
	"strings"

	"github.com/osc-coco/kubectl-plugins/lib/names"
)

// NotFoundError names something the cloud profile does not have and what the user may have meant.
type NotFoundError struct {
	What  string // "machine type", "zone", ...
	Name  string
	Known []string
	Where string // "in region eu-de-1", optional
}

func (e *NotFoundError) Error() string {
	msg := fmt.Sprintf("%s %q does not exist", e.What, e.Name)
	if e.Where != "" {
		msg += " " + e.Where
	}
	if s := names.Suggest(e.Name, e.Known, 3); len(s) > 0 {
		msg += "; did you mean " + strings.Join(quoteAll(s), " or ") + "?"
	}
	return msg
}

// Fix lists what exists.
func (e *NotFoundError) Fix() string {
	if len(e.Known) == 0 {
		return ""
	}
	known := e.Known
	if len(known) > 12 {
		known = append(known[:12:12], fmt.Sprintf("… %d more", len(e.Known)-12))
	}
	return "known " + e.What + "s: " + strings.Join(known, ", ")
}

func quoteAll(s []string) []string {
	out := make([]string, len(s))
	for i, v := range s {
		out[i] = fmt.Sprintf("%q", v)
	}
	return out
}
