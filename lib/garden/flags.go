// Package garden is the Gardener access the plugins share: which garden (the gardenctl config,
// or the kubeconfig flags), the project, a shoot, the short-lived kubeconfigs the Gardener API
// issues for a shoot (shoots/adminkubeconfig, shoots/viewerkubeconfig), and reads over many
// shoots of a project on them (Run). The garden config itself is in package gardenconfig.
package garden

import (
	"context"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/osc-coco/kubectl-plugins/lib/cli"

	"github.com/osc-coco/kubectl-plugins/lib/garden/fleetflag"
	"github.com/osc-coco/kubectl-plugins/lib/garden/gardenconfig"
)

// Flags choose the garden and the project.
type Flags struct {
	// Garden is an identity or alias from the garden config ("" for the only one).
	Garden string
	// ConfigFile is the garden config ("" as gardenctl finds it).
	ConfigFile string
	// Project is the Gardener project ("" for the kubeconfig's namespace or the only one).
	Project string

	// kubeconfigFallback: with no garden config and no --garden, the kubeconfig is the garden
	// ($KUBECONFIG, ~/.kube/config), as --shoots took it before it knew the garden config.
	kubeconfigFallback bool
}

// AddFlags declares --garden and --garden-config on fs, and completes --garden on cmd.
func (f *Flags) AddFlags(cmd *cobra.Command, fs *pflag.FlagSet) {
	fleetflag.DeclareGarden(fs, &f.Garden, &f.ConfigFile)
	f.completeGarden(cmd)
}

// completeGarden completes --garden on cmd with the garden config's identities.
func (f *Flags) completeGarden(cmd *cobra.Command) {
	_ = cmd.RegisterFlagCompletionFunc("garden", func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		cfg, err := gardenconfig.Load(f.Location().Path)
		if err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		var out []string
		for _, g := range cfg.Gardens {
			out = append(out, g.Identity)
		}
		return out, cobra.ShellCompDirectiveNoFileComp
	})
}

// AddProjectFlag declares -p/--project on fs and completes it, on cmd, with the projects the
// user can see in the garden g's flags name.
func (f *Flags) AddProjectFlag(cmd *cobra.Command, fs *pflag.FlagSet, g *cli.Globals, usage string) {
	fs.StringVarP(&f.Project, "project", "p", "", usage)
	_ = cmd.RegisterFlagCompletionFunc("project", f.completeProjects(g))
}

// completeProjects lists the projects (a completion that cannot reach the garden offers none).
func (f *Flags) completeProjects(g *cli.Globals) cobra.CompletionFunc {
	return func(cmd *cobra.Command, _ []string, prefix string) ([]string, cobra.ShellCompDirective) {
		c, err := Connect(g, f)
		if err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		list, err := c.Core.CoreV1beta1().Projects().List(ctx, metav1.ListOptions{})
		if err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		var out []string
		for _, p := range list.Items {
			if strings.HasPrefix(p.Name, prefix) {
				out = append(out, p.Name)
			}
		}
		return out, cobra.ShellCompDirectiveNoFileComp
	}
}

// Location is where the garden config is, as gardenctl finds it.
func (f *Flags) Location() gardenconfig.Location {
	return gardenconfig.Locate(f.ConfigFile, gardenconfig.OSEnv())
}

// Home is the user's home directory, as gardenlogin expands "~" with it.
func Home() string {
	h, err := os.UserHomeDir()
	if err != nil {
		return "."
	}
	return h
}
