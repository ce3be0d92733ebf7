// Package fleetflag declares the flags of a read over the shoots of a Gardener project
// (--shoots, -p, --garden, --garden-config, --parallel, --no-cache) and links no Gardener
// package: kubectl-teecheck declares them for its help and hands command lines that use them to
// teecheck-fleet (lib/cli.HelpedWhen), kubectl-shoot declares --garden and --garden-config for
// shoot-garden; lib/garden binds them for the read itself.
package fleetflag

import "github.com/spf13/pflag"

// DefaultParallel is how many shoots a fleet read reads at once: over a long link a read is
// mostly waiting (50 ms each way: 20 shoots at once take 1.1 times one shoot, 4 at once 2.6
// times; BENCHMARKS.md).
const DefaultParallel = 20

// Names are the flags Declare declares.
var Names = []string{"shoots", "project", "garden", "garden-config", "parallel", "no-cache"}

// Values are where the flags go.
type Values struct {
	Shoots, Project, Garden, ConfigFile *string
	Parallel                            *int
	NoCache                             *bool
}

// Declare declares the flags on fs.
func Declare(fs *pflag.FlagSet, v Values) {
	fs.StringVar(v.Shoots, "shoots", "", `"all" or a,b: the shoots of a Gardener project instead of the current cluster (each through a short-lived kubeconfig from shoots/adminkubeconfig, or viewerkubeconfig, cached until it expires: see --no-cache); the garden is --kubeconfig/--context when given, else --garden from the garden config (as kubectl shoot finds it), else, with no garden config, the kubeconfig`)
	fs.StringVarP(v.Project, "project", "p", "", "the Gardener project of --shoots (default: the garden context's namespace, or the only project you can see)")
	DeclareGarden(fs, v.Garden, v.ConfigFile)
	fs.IntVar(v.Parallel, "parallel", DefaultParallel, "how many shoots --shoots reads at once")
	fs.BoolVar(v.NoCache, "no-cache", false, "with --shoots: issue every shoot kubeconfig anew and keep none (by default they are kept, mode 0600, under the user's cache directory in osc-coco/shoot-credentials until they expire, as gardenlogin keeps its certificates)")
}

// DeclareGarden declares --garden and --garden-config on fs.
func DeclareGarden(fs *pflag.FlagSet, garden, configFile *string) {
	fs.StringVar(garden, "garden", "", "garden identity or alias from the garden config (default: the only one; --kubeconfig/--context name the garden instead)")
	fs.StringVar(configFile, "garden-config", "", "garden config file (default: as gardenctl finds it: $GCTL_CONFIG_NAME or gardenctl-v2, .yaml, in $GCTL_HOME, then ~/.garden)")
}
