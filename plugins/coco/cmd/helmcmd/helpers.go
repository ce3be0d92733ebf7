package helmcmd

import (
	"github.com/osc-coco/kubectl-plugins/lib/cli"
	"github.com/osc-coco/kubectl-plugins/plugins/coco/chartvalues"
)

// Helpers more than one of the Helm commands uses.

// releaseNamespace is coco-system unless -n was given on the command line.
func releaseNamespace(g *cli.Globals) string {
	if ns := g.ConfigFlags.Namespace; ns != nil && *ns != "" {
		return *ns
	}
	return chartvalues.Namespace
}

func dashIfEmpty(s, alt string) string {
	if s == "" {
		return alt
	}
	return s
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}
