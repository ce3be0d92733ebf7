package cmd

import (
	"github.com/osc-coco/kubectl-plugins/lib/cli"
	"github.com/osc-coco/kubectl-plugins/lib/helmrelease"
	"github.com/osc-coco/kubectl-plugins/lib/kube"
)

// Helpers more than one command uses.

// connect builds the API clients and the Helm client of the release's namespace, unless a
// test set them.
func connect(g *cli.Globals, c **kube.Clients, releases **helmrelease.Client) error {
	if err := g.ClientsInto(c); err != nil {
		return err
	}
	return helmrelease.Into(g, releases, releaseNamespace(g))
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
