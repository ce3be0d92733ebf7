package helmrelease

import (
	"github.com/osc-coco/kubectl-plugins/lib/cli"
	"github.com/osc-coco/kubectl-plugins/lib/clierr"
)

// Into builds the Helm client of namespace's releases into *c unless a test set it; commands
// call it in Complete. (lib/cli knows no Helm: plugins that do not use it link none of it.)
func Into(g *cli.Globals, c **Client, namespace string) error {
	if *c != nil {
		return nil
	}
	var err error
	if *c, err = NewClient(g.ConfigFlags, namespace, false); err != nil {
		return clierr.Wrap(err, "connecting Helm to the cluster")
	}
	return nil
}
