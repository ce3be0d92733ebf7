package shootspec

import (
	"encoding/json"
	"strings"

	"k8s.io/apimachinery/pkg/runtime"
)

// OpenStack provider config kinds (openstack.provider.extensions.gardener.cloud/v1alpha1). Only the
// fields this tool sets or reads are declared; anything else in a --from shoot is copied raw.
const openstackAPIVersion = "openstack.provider.extensions.gardener.cloud/v1alpha1"

type infrastructureConfig struct {
	APIVersion       string `json:"apiVersion"`
	Kind             string `json:"kind"`
	FloatingPoolName string `json:"floatingPoolName"`
	Networks         struct {
		Workers string `json:"workers"`
	} `json:"networks"`
}

type controlPlaneConfig struct {
	APIVersion           string `json:"apiVersion"`
	Kind                 string `json:"kind"`
	LoadBalancerProvider string `json:"loadBalancerProvider"`
}

// cloudProfileConfig holds the constraints of an OpenStack CloudProfile's providerConfig.
type cloudProfileConfig struct {
	Constraints struct {
		FloatingPools []struct {
			Name   string `json:"name"`
			Region string `json:"region,omitempty"`
		} `json:"floatingPools"`
		LoadBalancerProviders []struct {
			Name   string `json:"name"`
			Region string `json:"region,omitempty"`
		} `json:"loadBalancerProviders"`
	} `json:"constraints"`
}

func raw(v any) *runtime.RawExtension {
	b, _ := json.Marshal(v)
	return &runtime.RawExtension{Raw: b}
}

// profileDefaults returns the floating pool and load balancer provider that the profile's
// constraints allow in region: the first entry for that region, else the first without a region.
// Names with wildcards are patterns, not pools, and are skipped.
func profileDefaults(providerConfig *runtime.RawExtension, region string) (pool, lb string) {
	if providerConfig == nil || len(providerConfig.Raw) == 0 {
		return "", ""
	}
	var c cloudProfileConfig
	if json.Unmarshal(providerConfig.Raw, &c) != nil {
		return "", ""
	}
	pick := func(name, r string, cur *string, exact *bool) {
		if strings.ContainsAny(name, "*?[") {
			return
		}
		switch {
		case r == region && r != "" && !*exact:
			*cur, *exact = name, true
		case r == "" && *cur == "":
			*cur = name
		}
	}
	var poolExact, lbExact bool
	for _, p := range c.Constraints.FloatingPools {
		pick(p.Name, p.Region, &pool, &poolExact)
	}
	for _, p := range c.Constraints.LoadBalancerProviders {
		pick(p.Name, p.Region, &lb, &lbExact)
	}
	return pool, lb
}
