package garden

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"
	"k8s.io/client-go/rest"

	"github.com/osc-coco/kubectl-plugins/lib/cli"
	"github.com/osc-coco/kubectl-plugins/lib/clierr"
	"github.com/osc-coco/kubectl-plugins/lib/garden/credcache"
	"github.com/osc-coco/kubectl-plugins/lib/garden/fleetflag"
)

// DefaultParallel is how many shoots a fleet read reads at once (fleetflag.DefaultParallel).
const DefaultParallel = fleetflag.DefaultParallel

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
	fleetflag.Declare(cmd.Flags(), fleetflag.Values{Shoots: &f.Shoots, Project: &f.Project, Garden: &f.Garden,
		ConfigFile: &f.ConfigFile, Parallel: &f.Parallel, NoCache: &f.NoCache})
	_ = cmd.RegisterFlagCompletionFunc("project", f.completeProjects(g))
	f.completeGarden(cmd)
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
