// Package kube builds API clients from the standard kubectl flags.
package kube

import (
	"github.com/spf13/pflag"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	// Auth providers of kubeconfigs (OIDC and the cloud ones); exec plugins such as kubelogin and
	// gardenlogin are built into client-go.
	_ "k8s.io/client-go/plugin/pkg/client/auth"
)

// Clients are what a command needs to talk to one cluster.
type Clients struct {
	Config    *rest.Config
	Kube      kubernetes.Interface
	Namespace string
	// NamespaceExplicit is true when -n was given or the context names a namespace.
	NamespaceExplicit bool
}

// NewConfigFlags returns kubectl's standard connection flags (--kubeconfig, --context, -n,
// --request-timeout, --server, --token, ...).
func NewConfigFlags() *genericclioptions.ConfigFlags {
	return genericclioptions.NewConfigFlags(true).WithDeprecatedPasswordFlag().WithDiscoveryBurst(300).WithDiscoveryQPS(50)
}

// AddFlags registers the connection flags on a flag set.
func AddFlags(flags *genericclioptions.ConfigFlags, fs *pflag.FlagSet) { flags.AddFlags(fs) }

// New builds clients; wrap, if not nil, wraps the config before the clientset is made (used to
// count requests in benchmarks).
func New(flags *genericclioptions.ConfigFlags, wrap func(*rest.Config)) (*Clients, error) {
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
	ns, explicit, err := flags.ToRawKubeConfigLoader().Namespace()
	if err != nil {
		return nil, err
	}
	return &Clients{Config: cfg, Kube: cs, Namespace: ns, NamespaceExplicit: explicit}, nil
}
