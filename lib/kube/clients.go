// Package kube builds API clients from the standard kubectl flags.
package kube

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/osc-coco/kubectl-plugins/lib/clierr"
	"github.com/osc-coco/kubectl-plugins/lib/names"

	// Auth providers of kubeconfigs (OIDC and the cloud ones); exec plugins such as kubelogin and
	// gardenlogin are built into client-go.
	_ "k8s.io/client-go/plugin/pkg/client/auth"
)

// Clients are what a command needs to talk to one cluster.
type Clients struct {
	Config *rest.Config
	Kube   kubernetes.Interface
	// Dynamic reads and writes what has no typed client here (Gateway API, CcRuntimes).
	Dynamic   dynamic.Interface
	Namespace string
	// NamespaceExplicit is true when -n was given or the context names a namespace.
	NamespaceExplicit bool
}

// NewConfigFlags returns kubectl's standard connection flags (--kubeconfig, --context, -n,
// --request-timeout, --server, --token, ...).
func NewConfigFlags() *genericclioptions.ConfigFlags {
	return genericclioptions.NewConfigFlags(true).WithDeprecatedPasswordFlag().WithDiscoveryBurst(300).WithDiscoveryQPS(50)
}

// New builds clients; wrap, if not nil, wraps the config before the clientset is made (used to
// count requests in benchmarks).
func New(flags *genericclioptions.ConfigFlags, wrap func(*rest.Config)) (*Clients, error) {
	if flags.APIServer == nil || *flags.APIServer == "" {
		if err := HasCluster(flags.ToRawKubeConfigLoader(), describeSource(flags)); err != nil {
			return nil, err
		}
		if err := HasContext(flags.ToRawKubeConfigLoader(), flags.Context, describeSource(flags)); err != nil {
			return nil, err
		}
	}
	cfg, err := flags.ToRESTConfig()
	if err != nil {
		return nil, err
	}
	cfg.UserAgent = rest.DefaultKubernetesUserAgent()
	if cfg.QPS == 0 {
		cfg.QPS, cfg.Burst = 50, 100
	}
	if wrap != nil {
		wrap(cfg)
	}
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, err
	}
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return nil, err
	}
	ns, explicit, err := flags.ToRawKubeConfigLoader().Namespace()
	if err != nil {
		return nil, err
	}
	return &Clients{Config: cfg, Kube: cs, Dynamic: dyn, Namespace: ns, NamespaceExplicit: explicit}, nil
}

// ForConfig builds the clients of a cluster from its config (a shoot's, kept in memory).
func ForConfig(cfg *rest.Config) (*Clients, error) {
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, err
	}
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return nil, err
	}
	return &Clients{Config: cfg, Kube: cs, Dynamic: dyn}, nil
}

// HasCluster fails when the kubeconfig defines no cluster at all (an empty or comment-only
// file): client-go would then quietly talk to http://localhost:8080. Inside a pod, with no
// kubeconfig, the in-cluster config is fine.
func HasCluster(loader clientcmd.ClientConfig, source string) error {
	if os.Getenv("KUBERNETES_SERVICE_HOST") != "" {
		return nil
	}
	raw, err := loader.RawConfig()
	if err != nil {
		return err // the loader's own message names the file and the problem
	}
	if len(raw.Clusters) == 0 {
		return fmt.Errorf("%s defines no cluster", source)
	}
	return nil
}

// HasContext refuses a --context the kubeconfig does not define, naming the ones it does
// (client-go's own message names neither the file nor the choices).
func HasContext(loader clientcmd.ClientConfig, context *string, source string) error {
	if context == nil || *context == "" || os.Getenv("KUBERNETES_SERVICE_HOST") != "" {
		return nil
	}
	raw, err := loader.RawConfig()
	if err != nil {
		return err
	}
	if _, ok := raw.Contexts[*context]; ok {
		return nil
	}
	known := make([]string, 0, len(raw.Contexts))
	for name := range raw.Contexts {
		known = append(known, name)
	}
	sort.Strings(known)
	msg := fmt.Sprintf("context %q is not in %s", *context, source)
	if s := names.Suggest(*context, known, 1); len(s) > 0 {
		msg += fmt.Sprintf("; did you mean %q?", s[0])
	}
	return clierr.Usagef("contexts there: "+strings.Join(known, ", ")+" (kubectl config get-contexts)", "%s", msg)
}

func describeSource(flags *genericclioptions.ConfigFlags) string {
	switch {
	case flags.KubeConfig != nil && *flags.KubeConfig != "":
		return "the kubeconfig " + *flags.KubeConfig
	case os.Getenv("KUBECONFIG") != "":
		return "$KUBECONFIG (" + os.Getenv("KUBECONFIG") + ")"
	}
	return "~/.kube/config"
}

// Unreachable returns the error of a short /version request when the API server cannot be
// reached at all, nil when it answers: after an operation failed with a message that does not
// say why (Helm's), it tells an outage from other failures.
func (c *Clients) Unreachable(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Second)
	defer cancel()
	err := c.Kube.Discovery().RESTClient().Get().AbsPath("/version").Do(ctx).Error()
	if err == nil {
		return nil
	}
	var status apierrors.APIStatus
	if errors.As(err, &status) { // it answered, even if with an error
		return nil
	}
	return err
}
