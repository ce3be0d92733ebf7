package garden

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	gardencore "github.com/gardener/gardener/pkg/client/core/clientset/versioned"
	gardensecurity "github.com/gardener/gardener/pkg/client/security/clientset/versioned"
	seedmanagement "github.com/gardener/gardener/pkg/client/seedmanagement/clientset/versioned"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/osc-coco/kubectl-plugins/lib/cli"
	"github.com/osc-coco/kubectl-plugins/lib/clierr"
	"github.com/osc-coco/kubectl-plugins/lib/garden/gardenconfig"
	"github.com/osc-coco/kubectl-plugins/lib/kube"
	"github.com/osc-coco/kubectl-plugins/lib/version"
)

// Conn is a connection to a garden cluster.
type Conn struct {
	Identity string
	Config   *rest.Config
	Core     gardencore.Interface
	Security gardensecurity.Interface
	Kube     kubernetes.Interface
	// SeedManagement reads ManagedSeeds (a shoot that backs one has the seeds' access level).
	SeedManagement seedmanagement.Interface
	// Namespace is -n, else the kubeconfig context's namespace (a project's, garden-*), if any.
	Namespace string
	// Garden is the garden's entry in the garden config (access level defaults, access
	// restrictions), nil when --kubeconfig names a garden the config does not list.
	Garden *gardenconfig.Garden
	// Wrap wraps the configs of the shoots read through this garden (cli.Globals.WrapConfig).
	Wrap func(*rest.Config)
	// Issue, if set, issues shoot kubeconfigs instead of the Gardener API (tests: Gardener's
	// fake clientsets have no subresource POST).
	Issue func(ctx context.Context, namespace, shoot, access string, expiration time.Duration) (*Issued, error)
	cacheState
}

// Factory builds the garden connection; a test's cli.Globals.Factory implements it to hand
// commands a garden on fakes (kubectl's cmdtesting.TestFactory does so for clusters).
type Factory interface {
	Garden(f *Flags) (*Conn, error)
}

// Connect connects to the garden as kubectl shoot does: --kubeconfig/--context when given (the
// garden config then only names its identity), else the garden config's garden (--garden).
func Connect(g *cli.Globals, f *Flags) (*Conn, error) {
	if g.Factory != nil { // a test's: it hands out its garden, or none
		tf, ok := g.Factory.(Factory)
		if !ok {
			return nil, errors.New("the command's client factory has no garden")
		}
		return tf.Garden(f)
	}
	var loader clientcmd.ClientConfig
	var entry *gardenconfig.Garden
	explicit := explicitKubeconfig(g) || f.kubeconfigIsTheGarden()
	if explicit {
		loader = g.ConfigFlags.ToRawKubeConfigLoader()
		if cfg, err := gardenconfig.Load(f.Location().Path); err == nil {
			if gc, err := cfg.Select(f.Garden); err == nil {
				entry = &gc
			}
		}
	} else {
		gc, err := selectGarden(g, f)
		if err != nil {
			return nil, err
		}
		entry = &gc
		if loader, err = configLoader(g, f, gc); err != nil {
			return nil, err
		}
	}
	source := "the garden kubeconfig"
	if !explicit {
		source += " of " + entry.Identity
	}
	c, err := clients(g, loader, source)
	if err != nil {
		return nil, err
	}
	if entry != nil {
		c.Identity, c.Garden = entry.Identity, entry
	}
	return c, nil
}

// kubeconfigIsTheGarden: a fleet read with no garden config and no garden flag takes the
// kubeconfig as the garden.
func (f *Flags) kubeconfigIsTheGarden() bool {
	if !f.kubeconfigFallback || f.Garden != "" || f.ConfigFile != "" {
		return false
	}
	_, err := os.Stat(f.Location().Path)
	return errors.Is(err, os.ErrNotExist)
}

// explicitKubeconfig is true when --kubeconfig or --context was given: the user names the
// cluster to talk to, and the garden config is only used for the identity.
func explicitKubeconfig(g *cli.Globals) bool {
	cf := g.ConfigFlags
	return (cf.KubeConfig != nil && *cf.KubeConfig != "") || (cf.Context != nil && *cf.Context != "")
}

// configLoader loads the garden config's kubeconfig of garden gc, refusing a path gardenlogin
// would not find.
func configLoader(g *cli.Globals, f *Flags, gc gardenconfig.Garden) (clientcmd.ClientConfig, error) {
	path := gardenconfig.Resolve(gc.Kubeconfig, Home())
	if p := gardenconfig.PathProblem(gc.Kubeconfig); p != "" {
		return nil, clierr.Failf(fmt.Sprintf("write the absolute path: kubectl shoot config set-garden %s --kubeconfig <absolute path>", gc.Identity),
			"garden %s in %s: %s", gc.Identity, f.Location().Path, p)
	}
	if _, err := os.Stat(path); err != nil {
		return nil, clierr.Failf("download the garden kubeconfig from the Gardener dashboard (My Account > Access) to "+path+", or point the garden elsewhere with kubectl shoot config set-garden",
			"the kubeconfig of garden %s cannot be read: %v", gc.Identity, errors.Unwrap(err))
	}
	overrides := &clientcmd.ConfigOverrides{CurrentContext: gc.Context}
	if t := g.ConfigFlags.Timeout; t != nil && *t != "" && *t != "0" {
		overrides.Timeout = *t
	}
	return clientcmd.NewNonInteractiveDeferredLoadingClientConfig(&clientcmd.ClientConfigLoadingRules{ExplicitPath: path}, overrides), nil
}

// clients builds the garden's clients from its kubeconfig.
func clients(g *cli.Globals, loader clientcmd.ClientConfig, source string) (*Conn, error) {
	badFile := func(err error) error {
		return clierr.Wrap(clierr.Usagef("check the garden kubeconfig (kubectl shoot doctor); download a fresh one from the Gardener dashboard (My Account > Access)",
			"cannot load the garden kubeconfig"), "%v", err)
	}
	if err := kube.HasCluster(loader, source); err != nil {
		return nil, badFile(err)
	}
	cfg, err := loader.ClientConfig()
	if err != nil {
		return nil, badFile(err)
	}
	cfg.UserAgent = fmt.Sprintf("kubectl-%s/%s", g.Plugin, version.Version)
	if cfg.QPS == 0 {
		cfg.QPS, cfg.Burst = 50, 100
	}
	if g.WrapConfig != nil {
		g.WrapConfig(cfg)
	}
	ns, _, _ := loader.Namespace()
	if n := g.ConfigFlags.Namespace; n != nil && *n != "" {
		ns = *n
	}
	c := &Conn{Config: cfg, Namespace: ns, Wrap: g.WrapConfig}
	if c.Core, err = gardencore.NewForConfig(cfg); err != nil {
		return nil, badFile(err)
	}
	if c.Security, err = gardensecurity.NewForConfig(cfg); err != nil {
		return nil, err
	}
	if c.Kube, err = kubernetes.NewForConfig(cfg); err != nil {
		return nil, err
	}
	if c.SeedManagement, err = seedmanagement.NewForConfig(cfg); err != nil {
		return nil, err
	}
	return c, nil
}

// LoadConfig reads the garden config. gardenctl's warnings go to stderr.
func LoadConfig(g *cli.Globals, f *Flags) (*gardenconfig.Config, error) {
	loc := f.Location()
	cfg, err := gardenconfig.Load(loc.Path)
	switch {
	case errors.Is(err, gardenconfig.ErrNotExist):
		return nil, clierr.Failf("download the garden kubeconfig from the Gardener dashboard (My Account > Access), then: kubectl shoot config set-garden <identity> --kubeconfig <path> (or name the garden with --kubeconfig)",
			"no garden is configured: %s does not exist", loc.Path)
	case err != nil:
		return nil, clierr.Usagef("fix the file, or check it with: kubectl shoot doctor", "the garden config %s is not valid: %v", loc.Path, err)
	}
	for _, w := range cfg.Warnings {
		g.Warn(fmt.Sprintf("%s %s (%s)", loc.Path, w, w.Fix))
	}
	return cfg, nil
}

// selectGarden reads the garden config and picks the garden; the problems gardenctl refuses
// the file for go to stderr, unless they are the garden's own (then the garden is refused).
func selectGarden(g *cli.Globals, f *Flags) (gardenconfig.Garden, error) {
	cfg, err := LoadConfig(g, f)
	if err != nil {
		return gardenconfig.Garden{}, err
	}
	if len(cfg.Gardens) == 0 {
		return gardenconfig.Garden{}, clierr.Failf("kubectl shoot config set-garden <identity> --kubeconfig <path>", "the garden config %s lists no gardens", cfg.Path)
	}
	gc, err := cfg.Select(f.Garden)
	if err != nil {
		return gc, clierr.Usagef("pass --garden with one of: "+strings.Join(cfg.Names(), ", "), "%v", err)
	}
	own, others := cfg.ProblemsOf(gc.Identity)
	if len(own) > 0 {
		return gc, clierr.Usagef(own[0].Fix, "the garden config %s: %s, so gardenctl and gardenlogin refuse it", cfg.Path, own[0])
	}
	for _, p := range others {
		g.Warn(fmt.Sprintf("gardenctl refuses %s until this is fixed: %s (%s)", cfg.Path, p, p.Fix))
	}
	return gc, nil
}
