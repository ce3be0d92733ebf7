package garden

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"
	"k8s.io/client-go/rest"

	"github.com/osc-coco/kubectl-plugins/lib/cli"
	"github.com/osc-coco/kubectl-plugins/lib/clierr"
	"github.com/osc-coco/kubectl-plugins/lib/garden/credcache"
)

// DefaultParallel is how many shoots a fleet read reads at once: over a long link a read is
// mostly waiting (50 ms each way: 20 shoots at once take 1.1 times one shoot, 4 at once 2.6
// times; BENCHMARKS.md).
const DefaultParallel = 20

// FleetFlags are a read command's view over the shoots of a project: --shoots, -p, --garden,
// --garden-config and --parallel. The garden is chosen as kubectl shoot chooses it.
type FleetFlags struct {
	Flags
	Shoots   string
	Parallel int
	// NoCache issues every shoot credential anew and keeps none.
	NoCache bool

	conn *Conn
}

// AddFlags declares the flags on cmd.
func (f *FleetFlags) AddFlags(cmd *cobra.Command, g *cli.Globals) {
	fs := cmd.Flags()
	fs.StringVar(&f.Shoots, "shoots", "", `"all" or a,b: the shoots of a Gardener project instead of the current cluster (each through a short-lived kubeconfig from shoots/adminkubeconfig, or viewerkubeconfig, cached until it expires: see --no-cache); the garden is --kubeconfig/--context when given, else --garden from the garden config (as kubectl shoot finds it), else, with no garden config, the kubeconfig`)
	f.AddProjectFlag(cmd, fs, g, "the Gardener project of --shoots (default: the garden context's namespace, or the only project you can see)")
	f.Flags.AddFlags(cmd, fs)
	fs.IntVar(&f.Parallel, "parallel", DefaultParallel, "how many shoots --shoots reads at once")
	fs.BoolVar(&f.NoCache, "no-cache", false, "with --shoots: issue every shoot kubeconfig anew and keep none (by default they are kept, mode 0600, under the user's cache directory in osc-coco/shoot-credentials until they expire, as gardenlogin keeps its certificates)")
}

// On says whether --shoots was given.
func (f *FleetFlags) On() bool { return f.Shoots != "" }

// validate refuses the fleet flags without --shoots.
func (f *FleetFlags) validate() error {
	switch {
	case f.On() && f.Parallel < 1:
		return clierr.Usagef("e.g. --parallel 4", "--parallel must be at least 1")
	case !f.On() && f.Project != "":
		return clierr.Usagef("add --shoots all", "-p names the project of --shoots")
	case !f.On() && (f.Garden != "" || f.ConfigFile != ""):
		return clierr.Usagef("add --shoots all", "--garden and --garden-config name the garden of --shoots")
	case !f.On() && f.NoCache:
		return clierr.Usagef("add --shoots all", "--no-cache is about the shoot credentials of --shoots")
	}
	return nil
}

// Complete checks the flags (before any client is built: a usage error does not depend on a
// cluster) and connects to the garden when --shoots was given.
func (f *FleetFlags) Complete(g *cli.Globals) error {
	if err := f.validate(); err != nil {
		return err
	}
	if !f.On() || f.conn != nil {
		return nil
	}
	f.kubeconfigFallback = true
	var err error
	if f.conn, err = Connect(g, &f.Flags); err != nil {
		return err
	}
	f.conn.Note = g.Note
	if !f.NoCache && g.Factory == nil { // a test's factory hands out its garden with its cache
		dir, err := credcache.DefaultDir()
		if err != nil {
			g.Note(fmt.Sprintf("shoot credentials are not cached: %v", err))
			return nil
		}
		f.conn.Cache = &credcache.Store{Dir: dir}
	}
	return nil
}

// ReadFleet resolves the project and the shoots and reads each (Run).
func ReadFleet[T any](ctx context.Context, f *FleetFlags, read func(ctx context.Context, cfg *rest.Config) (T, error)) (Project, []Result[T], error) {
	f.conn.StartCache(ctx)
	p, err := f.conn.Project(ctx, f.Project)
	if err != nil {
		return p, nil, err
	}
	shoots, err := f.conn.Shoots(ctx, p, ShootNames(f.Shoots))
	if err != nil {
		return p, nil, err
	}
	return p, Run(ctx, f.conn, p, shoots, f.Parallel, read), nil
}
