// Package shootkubeconfig builds the "gardenlogin" kubeconfig of a shoot, shaped as gardenctl-v2
// v2.16 shapes it (internal/client/garden/shoot_client.go): one cluster and context per
// kube-apiserver address, each telling the gardenlogin credential plugin which shoot and which
// garden it belongs to, and one exec user.
package shootkubeconfig

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"slices"

	gardencorev1beta1 "github.com/gardener/gardener/pkg/apis/core/v1beta1"
	"k8s.io/apimachinery/pkg/runtime"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// Names shared with gardenlogin and Gardener.
const (
	ExecExtensionKey = "client.authentication.k8s.io/exec"
	PluginCommand    = "kubectl-gardenlogin"
	CAConfigMapKey   = "ca.crt"
	InstallHint      = "kubectl-gardenlogin was not found on PATH. Install gardenlogin (https://github.com/gardener/gardenlogin#installation) and link it as kubectl-gardenlogin; 'kubectl shoot doctor' checks the setup."
)

// Access levels of gardenlogin's get-client-certificate.
var AccessLevels = []string{"auto", "admin", "viewer"}

// APIServerAddresses are the advertised addresses that serve the shoot's kube-apiserver, the ones
// gardenctl-v2 (internal/client/garden/shoot_client.go GetShootClientConfig) makes clusters of.
// Others (service-account-issuer, wildcard-tls-seed-bound, ingress endpoints) are not API
// servers gardenlogin can match, or serve another certificate than the cluster CA.
var APIServerAddresses = []string{"external", "internal", "unmanaged"}

// ContextNamespace is the namespace gardenctl writes into every context.
const ContextNamespace = "default"

// CAName is the ConfigMap (and, on older landscapes, Secret) that holds a shoot's cluster CA.
func CAName(shoot string) string { return shoot + ".ca-cluster" }

// FileName is the dashboard's download name: kubeconfig-gardenlogin--<project>--<shoot>.yaml.
func FileName(project, shoot string) string {
	return fmt.Sprintf("kubeconfig-gardenlogin--%s--%s.yaml", project, shoot)
}

// ExecExtension is what gardenlogin reads from the cluster (provideClusterInfo).
type ExecExtension struct {
	ShootRef struct {
		Namespace string `json:"namespace"`
		Name      string `json:"name"`
	} `json:"shootRef"`
	GardenClusterIdentity string `json:"gardenClusterIdentity"`
}

// Request holds what the kubeconfig is built from.
type Request struct {
	Shoot          *gardencorev1beta1.Shoot
	CA             []byte
	GardenIdentity string
	AccessLevel    string // "" leaves gardenlogin's default (auto) and writes no --access-level
}

// ErrNoAddress means the shoot has no API server address yet (still being created).
var ErrNoAddress = errors.New("the shoot has no advertised API server address yet")

// Addresses returns the shoot's API server addresses in the order of its status (gardenlet
// lists external before internal; unmanaged only when neither exists), as gardenctl keeps them.
func Addresses(s *gardencorev1beta1.Shoot) []gardencorev1beta1.ShootAdvertisedAddress {
	var out []gardencorev1beta1.ShootAdvertisedAddress
	for _, a := range s.Status.AdvertisedAddresses {
		if slices.Contains(APIServerAddresses, a.Name) {
			out = append(out, a)
		}
	}
	return out
}

// Build returns the kubeconfig.
func Build(r Request) (*clientcmdapi.Config, error) {
	s := r.Shoot
	addrs := Addresses(s)
	if len(addrs) == 0 {
		return nil, ErrNoAddress
	}
	if len(r.CA) == 0 {
		return nil, fmt.Errorf("the cluster CA of shoot %s is empty", s.Name)
	}
	if r.GardenIdentity == "" {
		return nil, fmt.Errorf("the garden identity is empty")
	}
	args := []string{"get-client-certificate"}
	switch {
	case r.AccessLevel == "":
	case slices.Contains(AccessLevels, r.AccessLevel):
		args = append(args, "--access-level="+r.AccessLevel)
	default:
		return nil, fmt.Errorf("access level %q is not one of auto, admin, viewer", r.AccessLevel)
	}
	ext := ExecExtension{GardenClusterIdentity: r.GardenIdentity}
	ext.ShootRef.Namespace, ext.ShootRef.Name = s.Namespace, s.Name
	extRaw, _ := json.Marshal(ext)

	cfg := clientcmdapi.NewConfig()
	user := s.Namespace + "--" + s.Name
	cfg.AuthInfos[user] = &clientcmdapi.AuthInfo{Exec: &clientcmdapi.ExecConfig{
		APIVersion:         "client.authentication.k8s.io/v1",
		Command:            PluginCommand,
		Args:               args,
		InstallHint:        InstallHint,
		ProvideClusterInfo: true,
		InteractiveMode:    clientcmdapi.IfAvailableExecInteractiveMode,
	}}
	for i, a := range addrs {
		u, err := url.Parse(a.URL)
		if err != nil || u.Host == "" {
			return nil, fmt.Errorf("advertised address %s has no usable URL %q", a.Name, a.URL)
		}
		name := user + "-" + a.Name
		cfg.Clusters[name] = &clientcmdapi.Cluster{
			Server:                   "https://" + u.Host,
			CertificateAuthorityData: r.CA,
			Extensions:               map[string]runtime.Object{ExecExtensionKey: &runtime.Unknown{Raw: extRaw, ContentType: runtime.ContentTypeJSON}},
		}
		cfg.Contexts[name] = &clientcmdapi.Context{Cluster: name, AuthInfo: user, Namespace: ContextNamespace}
		if i == 0 {
			cfg.CurrentContext = name
		}
	}
	return cfg, nil
}
