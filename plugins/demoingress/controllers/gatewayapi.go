package controllers

import (
	"fmt"
	"slices"
	"strings"

	"github.com/Masterminds/semver/v3"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// The Gateway API CRDs: Traefik's chart no longer ships them (traefik-helm-chart v41.3.0
// README), so install adds them when absent.
const (
	GatewayAPIVersion = "v1.6.1"
	GatewayAPICRDs    = "https://github.com/kubernetes-sigs/gateway-api/releases/download/" + GatewayAPIVersion + "/standard-install.yaml"
	// MinGatewayAPI is the bundle Traefik v3.7 is built against (go.mod sigs.k8s.io/gateway-api).
	MinGatewayAPI = "v1.5.1"
	// Annotations every Gateway API CRD carries (config/crd/standard/*.yaml).
	BundleVersionAnnotation = "gateway.networking.k8s.io/bundle-version"
	ChannelAnnotation       = "gateway.networking.k8s.io/channel"
	GatewayAPIGroup         = "gateway.networking.k8s.io"
)

// GatewayAPINeeded are the CRDs deploy --gateway uses.
var GatewayAPINeeded = []string{"gatewayclasses." + GatewayAPIGroup, "gateways." + GatewayAPIGroup, "httproutes." + GatewayAPIGroup}

// CheckCRDManifest holds a downloaded Gateway API install file to what standard-install.yaml
// of v1.6.1 holds (the CRDs and the safe-upgrades ValidatingAdmissionPolicy and its binding):
// anything else, or another bundle, is refused rather than applied cluster-wide.
func CheckCRDManifest(objs []*unstructured.Unstructured) error {
	have := []string{}
	for _, o := range objs {
		switch o.GetKind() {
		case "ValidatingAdmissionPolicy", "ValidatingAdmissionPolicyBinding":
			if !strings.HasSuffix(o.GetName(), "."+GatewayAPIGroup) {
				return fmt.Errorf("the file holds %s %s, not one of the Gateway API's", o.GetKind(), o.GetName())
			}
			continue
		case "CustomResourceDefinition":
		default:
			return fmt.Errorf("the file holds a %s %s: a Gateway API install file holds CRDs only", o.GetKind(), o.GetName())
		}
		if g, _, _ := unstructured.NestedString(o.Object, "spec", "group"); g != GatewayAPIGroup {
			return fmt.Errorf("the file holds CRD %s of group %q, not %s", o.GetName(), g, GatewayAPIGroup)
		}
		if v := o.GetAnnotations()[BundleVersionAnnotation]; v != GatewayAPIVersion {
			return fmt.Errorf("CRD %s is of Gateway API %q, this tool installs %s", o.GetName(), v, GatewayAPIVersion)
		}
		have = append(have, o.GetName())
	}
	for _, n := range GatewayAPINeeded {
		if !slices.Contains(have, n) {
			return fmt.Errorf("the file lacks CRD %s", n)
		}
	}
	return nil
}

// CheckInstalledBundle judges a Gateway API CRD found on the cluster by its bundle-version.
// An older bundle than Traefik's lacks fields its provider writes; "" cannot be told.
func CheckInstalledBundle(name, bundle string) (warning string, err error) {
	if bundle == "" {
		return fmt.Sprintf("CRD %s has no %s annotation: cannot tell its Gateway API version", name, BundleVersionAnnotation), nil
	}
	v, perr := semver.NewVersion(bundle)
	if perr != nil {
		return fmt.Sprintf("CRD %s has bundle-version %q, not a version", name, bundle), nil
	}
	if v.LessThan(semver.MustParse(MinGatewayAPI)) {
		return "", fmt.Errorf("CRD %s is of Gateway API %s; Traefik v3.7 needs %s or newer", name, bundle, MinGatewayAPI)
	}
	return "", nil
}

// PartialGatewayAPI decides what install does when only some of GatewayAPINeeded are on the
// cluster. writers maps each present CRD to the field managers in its managedFields. When every
// present one was applied by manager at this tool's bundle, an earlier install was cut short
// (Ctrl-C, a lost connection) while applying the install file: applying the whole file again
// completes it, as server-side apply is idempotent. Anything else is someone else's partial
// install, and the error names the missing CRDs and who wrote the present ones.
func PartialGatewayAPI(writers map[string][]string, bundles map[string]string, manager string) error {
	var missing, others []string
	for _, n := range GatewayAPINeeded {
		ms, ok := writers[n]
		if !ok {
			missing = append(missing, n)
			continue
		}
		if !slices.Contains(ms, manager) || bundles[n] != GatewayAPIVersion {
			others = append(others, fmt.Sprintf("%s (written by %s, bundle %q)", n, strings.Join(ms, ", "), bundles[n]))
		}
	}
	if len(others) == 0 {
		return nil
	}
	return fmt.Errorf("the Gateway API is partly installed: %s missing; present: %s", strings.Join(missing, ", "), strings.Join(others, "; "))
}
