package cmd

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"

	gardencorev1beta1 "github.com/gardener/gardener/pkg/apis/core/v1beta1"
	gardencore "github.com/gardener/gardener/pkg/client/core/clientset/versioned"
	gardensecurity "github.com/gardener/gardener/pkg/client/security/clientset/versioned"
	"github.com/spf13/cobra"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/osc-coco/kubectl-plugins/lib/cli"
	"github.com/osc-coco/kubectl-plugins/lib/clierr"
	"github.com/osc-coco/kubectl-plugins/lib/kube"
	"github.com/osc-coco/kubectl-plugins/lib/version"
	"github.com/osc-coco/kubectl-plugins/plugins/shoot/cloudprofile"
	"github.com/osc-coco/kubectl-plugins/plugins/shoot/doctor"
	"github.com/osc-coco/kubectl-plugins/plugins/shoot/gardenconfig"
)

// gardenAccess holds the flags that choose the garden and the project, shared by all commands.
type gardenAccess struct {
	g          *cli.Globals
	garden     string
	configFile string
	project    string
	// connected is the garden once connect has built its clients (tests set it).
	connected *garden
}

func (a *gardenAccess) addFlags(root *cobra.Command) {
	f := root.PersistentFlags()
	f.StringVar(&a.garden, "garden", "", "garden identity or alias from the garden config (default: the only one)")
	f.StringVar(&a.configFile, "garden-config", "", "garden config file (default: as gardenctl finds it: $GCTL_CONFIG_NAME or gardenctl-v2, .yaml, in $GCTL_HOME, then ~/.garden)")
	f.StringVarP(&a.project, "project", "p", "", "Gardener project (default: from the garden kubeconfig's namespace, or the only project you can see)")
	_ = root.RegisterFlagCompletionFunc("garden", func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		cfg, err := gardenconfig.Load(a.location().Path)
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

func home() string {
	h, err := os.UserHomeDir()
	if err != nil {
		return "."
	}
	return h
}

func (a *gardenAccess) location() gardenconfig.Location {
	return gardenconfig.Locate(a.configFile, gardenconfig.OSEnv())
}

// explicitKubeconfig is true when --kubeconfig or --context was given: the user names the
// cluster to talk to, and the garden config is only used for the identity.
func (a *gardenAccess) explicitKubeconfig() bool {
	cf := a.g.ConfigFlags
	return (cf.KubeConfig != nil && *cf.KubeConfig != "") || (cf.Context != nil && *cf.Context != "")
}

// garden is a connection to the garden cluster.
type garden struct {
	Identity  string
	Config    *rest.Config
	Core      gardencore.Interface
	Security  gardensecurity.Interface
	Kube      kubernetes.Interface
	Namespace string // the kubeconfig context's namespace, if any
	// Garden is the garden's entry in the garden config (access level defaults, access
	// restrictions), nil when --kubeconfig names a garden the config does not list.
	Garden *gardenconfig.Garden
}

// connect builds clients for the garden: from --kubeconfig/--context when given, else from the
// garden config.
func (a *gardenAccess) connect() (*garden, error) {
	if a.connected != nil {
		return a.connected, nil
	}
	gd, err := a.buildClients()
	a.connected = gd
	return gd, err
}

// buildClients loads the garden's kubeconfig and makes its clients.
func (a *gardenAccess) buildClients() (*garden, error) {
	var loader clientcmd.ClientConfig
	identity := ""
	var entry *gardenconfig.Garden
	if a.explicitKubeconfig() {
		loader = a.g.ConfigFlags.ToRawKubeConfigLoader()
		if cfg, err := gardenconfig.Load(a.location().Path); err == nil {
			if g, err := doctor.Select(cfg, a.garden); err == nil {
				identity, entry = g.Identity, &g
			}
		}
	} else {
		g, err := a.selectGarden()
		if err != nil {
			return nil, err
		}
		identity, entry = g.Identity, &g
		path := gardenconfig.Resolve(g.Kubeconfig, home())
		if p := gardenconfig.PathProblem(g.Kubeconfig); p != "" {
			return nil, clierr.Failf(fmt.Sprintf("write the absolute path: kubectl shoot config set-garden %s --kubeconfig <absolute path>", g.Identity),
				"garden %s in %s: %s", g.Identity, a.location().Path, p)
		}
		if _, err := os.Stat(path); err != nil {
			return nil, clierr.Failf("download the garden kubeconfig from the Gardener dashboard (My Account > Access) to "+path+", or point the garden elsewhere with kubectl shoot config set-garden",
				"the kubeconfig of garden %s cannot be read: %v", g.Identity, errors.Unwrap(err))
		}
		overrides := &clientcmd.ConfigOverrides{CurrentContext: g.Context}
		if t := a.g.ConfigFlags.Timeout; t != nil && *t != "" && *t != "0" {
			overrides.Timeout = *t
		}
		loader = clientcmd.NewNonInteractiveDeferredLoadingClientConfig(&clientcmd.ClientConfigLoadingRules{ExplicitPath: path}, overrides)
	}
	badFile := func(err error) error {
		return clierr.Wrap(clierr.Usagef("check the garden kubeconfig (kubectl shoot doctor); download a fresh one from the Gardener dashboard (My Account > Access)",
			"cannot load the garden kubeconfig"), "%v", err)
	}
	source := "the garden kubeconfig"
	if !a.explicitKubeconfig() {
		source += " of " + identity
	}
	if err := kube.HasCluster(loader, source); err != nil {
		return nil, badFile(err)
	}
	cfg, err := loader.ClientConfig()
	if err != nil {
		return nil, badFile(err)
	}
	cfg.UserAgent = fmt.Sprintf("kubectl-%s/%s", PluginName, version.Version)
	if cfg.QPS == 0 {
		cfg.QPS, cfg.Burst = 50, 100
	}
	if a.g.WrapConfig != nil {
		a.g.WrapConfig(cfg)
	}
	ns, _, _ := loader.Namespace()
	gd := &garden{Identity: identity, Config: cfg, Namespace: ns, Garden: entry}
	if gd.Core, err = gardencore.NewForConfig(cfg); err != nil {
		return nil, badFile(err)
	}
	if gd.Security, err = gardensecurity.NewForConfig(cfg); err != nil {
		return nil, err
	}
	if gd.Kube, err = kubernetes.NewForConfig(cfg); err != nil {
		return nil, err
	}
	return gd, nil
}

// connectProject connects to the garden and resolves the project: what most commands start with.
func (a *gardenAccess) connectProject(ctx context.Context) (*garden, project, error) {
	gd, err := a.connect()
	if err != nil {
		return nil, project{}, err
	}
	p, err := a.resolveProject(ctx, gd)
	return gd, p, err
}

// loadConfig reads the garden config. gardenctl's warnings go to stderr; so do the problems
// gardenctl refuses the file for, unless they are the garden's own (then the garden is refused).
func (a *gardenAccess) loadConfig() (*gardenconfig.Config, error) {
	loc := a.location()
	cfg, err := gardenconfig.Load(loc.Path)
	switch {
	case errors.Is(err, gardenconfig.ErrNotExist):
		return nil, clierr.Failf("download the garden kubeconfig from the Gardener dashboard (My Account > Access), then: kubectl shoot config set-garden <identity> --kubeconfig <path>",
			"no garden is configured: %s does not exist", loc.Path)
	case err != nil:
		return nil, clierr.Usagef("fix the file, or check it with: kubectl shoot doctor", "the garden config %s is not valid: %v", loc.Path, err)
	}
	for _, w := range cfg.Warnings {
		a.g.Warn(fmt.Sprintf("%s %s (%s)", loc.Path, w, w.Fix))
	}
	return cfg, nil
}

// selectGarden reads the garden config and picks the garden.
func (a *gardenAccess) selectGarden() (gardenconfig.Garden, error) {
	cfg, err := a.loadConfig()
	if err != nil {
		return gardenconfig.Garden{}, err
	}
	if len(cfg.Gardens) == 0 {
		return gardenconfig.Garden{}, clierr.Failf("kubectl shoot config set-garden <identity> --kubeconfig <path>", "the garden config %s lists no gardens", cfg.Path)
	}
	g, err := doctor.Select(cfg, a.garden)
	if err != nil {
		return g, clierr.Usagef("pass --garden with one of: "+strings.Join(cfg.Names(), ", "), "%v", err)
	}
	own, others := cfg.ProblemsOf(g.Identity)
	if len(own) > 0 {
		return g, clierr.Usagef(own[0].Fix, "the garden config %s: %s, so gardenctl and gardenlogin refuse it", cfg.Path, own[0])
	}
	for _, p := range others {
		a.g.Warn(fmt.Sprintf("gardenctl refuses %s until this is fixed: %s (%s)", cfg.Path, p, p.Fix))
	}
	return g, nil
}

// identity returns the garden identity for kubeconfigs: from the garden config, else the
// garden's own cluster-identity ConfigMap (what gardenlogin compares it with).
func (gd *garden) identity(ctx context.Context) (string, error) {
	if gd.Identity != "" {
		return gd.Identity, nil
	}
	cm, err := gd.Kube.CoreV1().ConfigMaps("kube-system").Get(ctx, "cluster-identity", metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return "", clierr.Failf("add the garden to the garden config (kubectl shoot config set-garden) or pass --garden",
			"the garden's identity is not in the garden config, and the cluster has no kube-system/cluster-identity ConfigMap")
	}
	if err != nil {
		return "", clierr.Failf("add the garden to the garden config (kubectl shoot config set-garden) or pass --garden",
			"the garden's identity is not in the garden config, and %s", clierr.CannotTell(err, clierr.Action{Verb: "get", Resource: "configmaps", Namespace: "kube-system", Name: "cluster-identity"}))
	}
	if cm.Data["cluster-identity"] == "" {
		return "", clierr.Failf("add the garden to the garden config (kubectl shoot config set-garden) or pass --garden",
			"the garden's identity is not in the garden config, and its kube-system/cluster-identity ConfigMap has no cluster-identity")
	}
	id := cm.Data["cluster-identity"]
	if err := gardenconfig.ValidateName(id); err != nil {
		return "", clierr.Failf("add the garden to the garden config under a valid identity (kubectl shoot config set-garden) and pass --garden",
			"the garden's cluster identity %q %v, so gardenlogin would refuse a kubeconfig naming it", id, err)
	}
	return id, nil
}

// project is a resolved Gardener project.
type project struct {
	Name, Namespace string
}

// resolveProject finds the project from -p, -n, the kubeconfig's namespace, or the only project.
func (a *gardenAccess) resolveProject(ctx context.Context, gd *garden) (project, error) {
	projects := gd.Core.CoreV1beta1().Projects()
	if a.project != "" {
		p, err := projects.Get(ctx, a.project, metav1.GetOptions{})
		if err == nil {
			return projectOf(p), nil
		}
		if isMissingAPI(err) {
			return project{}, notAGarden(gd)
		}
		if apierrors.IsNotFound(err) {
			msg := fmt.Sprintf("project %q does not exist", a.project)
			fix := "list your projects: kubectl get projects (on the garden), or see the Gardener dashboard"
			if list, lerr := projects.List(ctx, metav1.ListOptions{}); lerr == nil {
				var names []string
				for _, p := range list.Items {
					names = append(names, p.Name)
				}
				if s := cloudprofile.Suggest(a.project, names, 3); len(s) > 0 {
					msg += fmt.Sprintf("; did you mean %q?", s[0])
				}
				if len(names) > 0 {
					fix = "your projects: " + strings.Join(names, ", ")
				}
			}
			return project{}, clierr.Usagef(fix, "%s", msg)
		}
		return project{}, clierr.FromAPI(err, clierr.Action{Verb: "get", Resource: "projects.core.gardener.cloud", Name: a.project})
	}
	ns := gd.Namespace
	if a.g.ConfigFlags.Namespace != nil && *a.g.ConfigFlags.Namespace != "" {
		ns = *a.g.ConfigFlags.Namespace
	}
	if strings.HasPrefix(ns, "garden-") {
		name := strings.TrimPrefix(ns, "garden-")
		if p, err := projects.Get(ctx, name, metav1.GetOptions{}); err == nil && p.Spec.Namespace != nil && *p.Spec.Namespace == ns {
			return projectOf(p), nil
		}
		return project{Name: name, Namespace: ns}, nil
	}
	list, err := projects.List(ctx, metav1.ListOptions{})
	if isMissingAPI(err) {
		return project{}, notAGarden(gd)
	}
	if err != nil {
		return project{}, clierr.Wrap(clierr.FromAPI(err, clierr.Action{Verb: "list", Resource: "projects.core.gardener.cloud"}), "finding your project (pass -p PROJECT)")
	}
	switch len(list.Items) {
	case 0:
		return project{}, clierr.Failf("ask a project owner to add you, or create a project in the Gardener dashboard", "you are not a member of any Gardener project")
	case 1:
		return projectOf(&list.Items[0]), nil
	}
	var names []string
	for _, p := range list.Items {
		names = append(names, p.Name)
	}
	slices.Sort(names)
	return project{}, clierr.Usagef("pass -p with one of: "+strings.Join(names, ", "), "you are a member of %d projects and -p does not say which one", len(names))
}

func projectOf(p *gardencorev1beta1.Project) project {
	ns := "garden-" + p.Name
	if p.Spec.Namespace != nil && *p.Spec.Namespace != "" {
		ns = *p.Spec.Namespace
	}
	return project{Name: p.Name, Namespace: ns}
}

// getShoot reads one shoot with a message that names it and lists the project's shoots when the
// name is wrong.
func getShoot(ctx context.Context, gd *garden, p project, name string) (*gardencorev1beta1.Shoot, error) {
	s, err := gd.Core.CoreV1beta1().Shoots(p.Namespace).Get(ctx, name, metav1.GetOptions{})
	if err == nil {
		return s, nil
	}
	if apierrors.IsNotFound(err) {
		msg := fmt.Sprintf("shoot %q does not exist in project %s", name, p.Name)
		fix := "list the shoots: kubectl shoot list -p " + p.Name
		if list, lerr := gd.Core.CoreV1beta1().Shoots(p.Namespace).List(ctx, metav1.ListOptions{}); lerr == nil {
			var names []string
			for _, s := range list.Items {
				names = append(names, s.Name)
			}
			if s := cloudprofile.Suggest(name, names, 1); len(s) > 0 {
				msg += fmt.Sprintf("; did you mean %q?", s[0])
			}
			if len(names) > 0 {
				fix = "shoots in project " + p.Name + ": " + strings.Join(names, ", ")
			}
		}
		return nil, &clierr.Error{Code: clierr.CodeFailure, Msg: msg, Fix: fix}
	}
	return nil, clierr.FromAPI(err, clierr.Action{Verb: "get", Resource: "shoots.core.gardener.cloud", Namespace: p.Namespace, Name: name})
}

// isMissingAPI is the 404 for a resource type the server does not serve (as opposed to a
// missing object, whose error names it).
func isMissingAPI(err error) bool {
	var se apierrors.APIStatus
	if !apierrors.IsNotFound(err) || !errors.As(err, &se) {
		return false
	}
	st := se.Status()
	return strings.Contains(st.Message, "the server could not find the requested resource") || st.Details == nil || st.Details.Name == ""
}

func notAGarden(gd *garden) error {
	return clierr.Failf("point the garden config at the garden kubeconfig from the dashboard (My Account > Access), not at a shoot's: kubectl shoot config set-garden <identity> --kubeconfig <path>",
		"the cluster at %s is not a Gardener garden (it serves no core.gardener.cloud API)", gd.Config.Host)
}

// onGarden is a command whose clients for the garden are built in Complete, after the
// command's own Complete, as kubectl's commands build theirs; tests set gardenAccess.connected.
type onGarden struct {
	cli.Command
	a *gardenAccess
}

func withGarden(a *gardenAccess, c cli.Command) cli.Command { return onGarden{Command: c, a: a} }

func (o onGarden) Complete(args []string) error {
	if err := o.Command.Complete(args); err != nil {
		return err
	}
	_, err := o.a.connect()
	return err
}
