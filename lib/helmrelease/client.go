package helmrelease

import (
	"errors"

	"k8s.io/client-go/rest"

	"github.com/osc-coco/kubectl-plugins/lib/cli"
	"github.com/osc-coco/kubectl-plugins/lib/clierr"
	"github.com/osc-coco/kubectl-plugins/lib/kube"
)

// Factory builds Helm clients; a test's cli.Globals.Factory implements it to hand commands a
// release store in memory (helmtest). cfg is nil for the cluster the connection flags name.
type Factory interface {
	HelmClient(cfg *rest.Config, namespace string) (*Client, error)
}

// Into builds the Helm client of namespace's releases into *c unless it is set already;
// commands call it in Complete. (lib/cli knows no Helm: plugins that do not use it link none.)
func Into(g *cli.Globals, c **Client, namespace string) error {
	if *c != nil {
		return nil
	}
	var err error
	if g.Factory != nil {
		*c, err = factory(g).HelmClient(nil, namespace)
		return err
	}
	if *c, err = NewClient(g.ConfigFlags, namespace, false); err != nil {
		return clierr.Wrap(err, "connecting Helm to the cluster")
	}
	return nil
}

// Connect builds a command's API clients and the Helm client of namespace's releases, unless
// they are set already: what a command on a release calls in Complete.
func Connect(g *cli.Globals, c **kube.Clients, releases **Client, namespace string) error {
	if err := g.ClientsInto(c); err != nil {
		return err
	}
	return Into(g, releases, namespace)
}

// ClientFor is the Helm client of namespace's releases in the cluster of cfg (a shoot's).
func ClientFor(g *cli.Globals, cfg *rest.Config, namespace string) (*Client, error) {
	if g.Factory != nil {
		return factory(g).HelmClient(cfg, namespace)
	}
	return NewClient(kube.Getter(cfg, namespace), namespace, false)
}

// factory is the Globals' factory as a Helm one: a test's factory without Helm fails the
// command rather than let it reach a real cluster.
func factory(g *cli.Globals) Factory {
	if f, ok := g.Factory.(Factory); ok {
		return f
	}
	return noHelm{}
}

type noHelm struct{}

func (noHelm) HelmClient(*rest.Config, string) (*Client, error) {
	return nil, errors.New("the command's client factory builds no Helm client")
}
