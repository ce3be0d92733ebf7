package kube

import (
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/restmapper"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// Getter is a RESTClientGetter for an in-memory rest.Config (a fleet shoot's short-lived
// kubeconfig): what Helm's client needs, without a kubeconfig file.
func Getter(cfg *rest.Config, namespace string) genericclioptions.RESTClientGetter {
	return &getter{cfg: cfg, namespace: namespace}
}

type getter struct {
	cfg       *rest.Config
	namespace string
}

func (g *getter) ToRESTConfig() (*rest.Config, error) { return rest.CopyConfig(g.cfg), nil }

func (g *getter) ToDiscoveryClient() (discovery.CachedDiscoveryInterface, error) {
	dc, err := discovery.NewDiscoveryClientForConfig(g.cfg)
	if err != nil {
		return nil, err
	}
	return memory.NewMemCacheClient(dc), nil
}

func (g *getter) ToRESTMapper() (meta.RESTMapper, error) {
	dc, err := g.ToDiscoveryClient()
	if err != nil {
		return nil, err
	}
	return restmapper.NewDeferredDiscoveryRESTMapper(dc), nil
}

func (g *getter) ToRawKubeConfigLoader() clientcmd.ClientConfig {
	api := clientcmdapi.NewConfig()
	api.Clusters["shoot"] = &clientcmdapi.Cluster{Server: g.cfg.Host, CertificateAuthorityData: g.cfg.CAData}
	api.AuthInfos["shoot"] = &clientcmdapi.AuthInfo{ClientCertificateData: g.cfg.CertData, ClientKeyData: g.cfg.KeyData, Token: g.cfg.BearerToken}
	api.Contexts["shoot"] = &clientcmdapi.Context{Cluster: "shoot", AuthInfo: "shoot", Namespace: g.namespace}
	api.CurrentContext = "shoot"
	return clientcmd.NewDefaultClientConfig(*api, &clientcmd.ConfigOverrides{})
}
