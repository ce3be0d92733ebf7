package cli

import (
	"context"
	"maps"
	"os"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// CompletionPrefix is how kubectl (1.26+) finds a plugin's argument completion: an executable
// kubectl_complete-<plugin> on PATH, called with the words typed after "kubectl <plugin>".
const CompletionPrefix = "kubectl_complete-"

// completionArgs turns a call as kubectl_complete-<plugin> ARGS into cobra's "__complete ARGS",
// so one binary (linked under both names) serves both.
func completionArgs(argv0 string, args []string) ([]string, bool) {
	name := argv0
	if i := strings.LastIndexAny(name, `/\`); i >= 0 { // either separator: the binary may run on Windows
		name = name[i+1:]
	}
	name = strings.TrimSuffix(name, ".exe")
	if !strings.HasPrefix(name, CompletionPrefix) {
		return nil, false
	}
	return append([]string{cobra.ShellCompRequestCmd}, args...), true
}

// CompleteNodes completes node names (one positional argument per call, or many with many).
func CompleteNodes(g *Globals, max int) cobra.CompletionFunc {
	return func(cmd *cobra.Command, args []string, prefix string) ([]string, cobra.ShellCompDirective) {
		if max > 0 && len(args) >= max {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		c, err := g.Clients()
		if err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		ctx, cancel := context.WithTimeout(cmdContext(cmd), 5*time.Second)
		defer cancel()
		list, err := c.Kube.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
		if err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		var out []string
		for _, n := range list.Items {
			if strings.HasPrefix(n.Name, prefix) && !contains(args, n.Name) {
				out = append(out, n.Name)
			}
		}
		return out, cobra.ShellCompDirectiveNoFileComp
	}
}

// CompleteRuntimeClasses completes RuntimeClass names.
func CompleteRuntimeClasses(g *Globals) cobra.CompletionFunc {
	return func(cmd *cobra.Command, _ []string, prefix string) ([]string, cobra.ShellCompDirective) {
		c, err := g.Clients()
		if err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		ctx, cancel := context.WithTimeout(cmdContext(cmd), 5*time.Second)
		defer cancel()
		list, err := c.Kube.NodeV1().RuntimeClasses().List(ctx, metav1.ListOptions{})
		if err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		var out []string
		for _, rc := range list.Items {
			if strings.HasPrefix(rc.Name, prefix) {
				out = append(out, rc.Name)
			}
		}
		return out, cobra.ShellCompDirectiveNoFileComp
	}
}

func cmdContext(cmd *cobra.Command) context.Context {
	if ctx := cmd.Context(); ctx != nil {
		return ctx
	}
	return context.Background()
}

func contains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// argsFromOS are the process arguments, rewritten for a kubectl_complete-<plugin> call.
func argsFromOS() ([]string, bool) { return completionArgs(os.Args[0], os.Args[1:]) }

// registerConnectionCompletion completes kubectl's connection flags as kubectl does: -n with
// the cluster's namespaces, --context, --cluster and --user with the kubeconfig's entries.
func registerConnectionCompletion(root *cobra.Command, g *Globals) {
	_ = root.RegisterFlagCompletionFunc("namespace", func(cmd *cobra.Command, _ []string, prefix string) ([]string, cobra.ShellCompDirective) {
		c, err := g.Clients()
		if err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		ctx, cancel := context.WithTimeout(cmdContext(cmd), 5*time.Second)
		defer cancel()
		list, err := c.Kube.CoreV1().Namespaces().List(ctx, metav1.ListOptions{})
		if err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		var out []string
		for _, n := range list.Items {
			if strings.HasPrefix(n.Name, prefix) {
				out = append(out, n.Name)
			}
		}
		return out, cobra.ShellCompDirectiveNoFileComp
	})
	fromKubeconfig := func(names func(raw *clientcmdapi.Config) []string) cobra.CompletionFunc {
		return func(_ *cobra.Command, _ []string, prefix string) ([]string, cobra.ShellCompDirective) {
			raw, err := g.ConfigFlags.ToRawKubeConfigLoader().RawConfig()
			if err != nil {
				return nil, cobra.ShellCompDirectiveNoFileComp
			}
			var out []string
			for _, n := range names(&raw) {
				if strings.HasPrefix(n, prefix) {
					out = append(out, n)
				}
			}
			sort.Strings(out)
			return out, cobra.ShellCompDirectiveNoFileComp
		}
	}
	_ = root.RegisterFlagCompletionFunc("context", fromKubeconfig(func(c *clientcmdapi.Config) []string { return slices.Collect(maps.Keys(c.Contexts)) }))
	_ = root.RegisterFlagCompletionFunc("cluster", fromKubeconfig(func(c *clientcmdapi.Config) []string { return slices.Collect(maps.Keys(c.Clusters)) }))
	_ = root.RegisterFlagCompletionFunc("user", fromKubeconfig(func(c *clientcmdapi.Config) []string { return slices.Collect(maps.Keys(c.AuthInfos)) }))
}
