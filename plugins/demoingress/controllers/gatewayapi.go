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

// GatewayAPIBundle are the CRDs of v1.6.1's standard-install.yaml, in its order
// (kubernetes-sigs/gateway-api v1.6.1 hack/build-install-yaml.sh joins
// config/crd/standard/gateway*.yaml), before the safe-upgrades policy and its binding.
var GatewayAPIBundle = []string{"backendtlspolicies." + GatewayAPIGroup, "gatewayclasses." + GatewayAPIGroup, "gateways." + GatewayAPIGroup,
	"grpcroutes." + GatewayAPIGroup, "httproutes." + GatewayAPIGroup, "listenersets." + GatewayAPIGroup, "referencegrants." + GatewayAPIGroup,
	"tcproutes." + GatewayAPIGroup, "tlsroutes." + GatewayAPIGroup, "udproutes." + GatewayAPIGroup}

// SafeUpgrades names the ValidatingAdmissionPolicy and its binding that standard-install.yaml
// ends with (config/crd/standard/gateway.networking.k8s.io_vap_safeupgrades.yaml).
const SafeUpgrades = "safe-upgrades." + GatewayAPIGroup

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
	for _, n := range GatewayAPIBundle {
		if !slices.Contains(have, n) {
			return fmt.Errorf("the file lacks CRD %s", n)
		}
	}
	for _, kind := range []string{"ValidatingAdmissionPolicy", "ValidatingAdmissionPolicyBinding"} {
		if !slices.ContainsFunc(objs, func(o *unstructured.Unstructured) bool { return o.GetKind() == kind && o.GetName() == SafeUpgrades }) {
			return fmt.Errorf("the file lacks %s %s", kind, SafeUpgrades)
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

// Written is what install reads of a Gateway API CRD on the cluster: the field managers in its
// managedFields and its bundle-version annotation.
type Written struct {
	Managers []string
	Bundle   string
	Channel  string
}

// OursAt says whether every CRD found was applied by manager at this tool's bundle and channel:
// an install by this tool, which, if it stopped partway (Ctrl-C, a lost connection), applying
// what is missing of the file completes. CRDs someone moved to the experimental channel are
// theirs.
func OursAt(found map[string]Written, manager string) bool {
	for _, w := range found {
		if !slices.Contains(w.Managers, manager) || w.Bundle != GatewayAPIVersion || w.Channel != "standard" {
			return false
		}
	}
	return len(found) > 0
}

// PartialGatewayAPI judges a Gateway API of which only some of GatewayAPINeeded were found:
// nil when it is this tool's own install cut short (to be completed), else the refusal naming
// what is missing and who wrote what is there.
func PartialGatewayAPI(found map[string]Written, manager string) error {
	if OursAt(found, manager) {
		return nil
	}
	var missing, present []string
	for _, n := range GatewayAPINeeded {
		w, ok := found[n]
		if !ok {
			missing = append(missing, n)
			continue
		}
		by := "no recorded field manager"
		if len(w.Managers) > 0 {
			by = strings.Join(w.Managers, ", ")
		}
		present = append(present, fmt.Sprintf("%s (written by %s, bundle %q)", n, by, w.Bundle))
	}
	return fmt.Errorf("the Gateway API is partly installed: %s missing; present: %s", strings.Join(missing, ", "), strings.Join(present, "; "))
}

// BundleObjectName names an object of the install file as install reports what is missing: a
// CRD by its name, the policy and binding as resource/name.
func BundleObjectName(o *unstructured.Unstructured) string {
	switch o.GetKind() {
	case "ValidatingAdmissionPolicy":
		return "validatingadmissionpolicies.admissionregistration.k8s.io/" + o.GetName()
	case "ValidatingAdmissionPolicyBinding":
		return "validatingadmissionpolicybindings.admissionregistration.k8s.io/" + o.GetName()
	}
	return o.GetName()
}
