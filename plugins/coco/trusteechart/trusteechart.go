// Package trusteechart holds what kubectl coco trustee install knows of Trustee's Helm chart
// (versions.go: chart 0.18.0 of trustee v0.21.0 and 0.21.0 of main after it): the values it
// sets, the contract a loaded chart must keep (checked at run time: a chart from a mirror or a
// checkout of another version may differ), the user-keys Secret the chart mounts, and the KBS's
// TLS identity.
package trusteechart

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/yaml"
	sigyaml "sigs.k8s.io/yaml"

	"github.com/osc-coco/kubectl-plugins/plugins/coco/kbs"
)

const (
	// ReleaseName and Namespace are where install puts Trustee.
	ReleaseName = "trustee"
	Namespace   = "trustee"
)

// SecretKeys are the user-keys Secret's data keys the chart mounts as files
// (_helpers.tpl userKeysSecretDataKey.* and userKeysSecretVolumeItems).
var SecretKeys = []string{"KBS_ADMIN_PRIVATE_KEY", "KBS_ADMIN_PUBKEY", "AS_TOKEN_SIGNING_PRIVATE_KEY", "AS_TOKEN_VERIFICATION_PUBLIC_KEY_CERT_CHAIN"}

// SecretName is the user-keys Secret install makes for a release (secrets.existingSecretName).
func SecretName(release string) string { return release + "-kubectl-coco-keys" }

// ServiceTypes are the ways install exposes the KBS.
var ServiceTypes = []string{"ClusterIP", "NodePort", "LoadBalancer"}

// Values are install's values: the chart's ephemeral keys off (the admin key stays with the
// user; the chart would keep it, and a token, in the cluster), our Secret instead, the KBS's
// exposure, its native TLS with our Secret when tls, and the components' images in images
// (PinImages).
func Values(release, serviceType string, tls bool, images map[string]any) map[string]any {
	kbsVals := map[string]any{"service": map[string]any{"exposeLoadBalancer": serviceType == "LoadBalancer"}}
	if tls {
		kbsVals["tls"] = map[string]any{"enabled": true, "secretName": TLSSecretName(release)}
	}
	vals := map[string]any{
		"secrets":  map[string]any{"useEphemeralGeneratedKeys": false, "existingSecretName": SecretName(release)},
		"kbs":      kbsVals,
		"nodePort": map[string]any{"enabled": serviceType == "NodePort"},
	}
	for c, v := range images {
		m, _ := vals[c].(map[string]any)
		if m == nil {
			m = map[string]any{}
			vals[c] = m
		}
		for k, x := range v.(map[string]any) {
			m[k] = x
		}
	}
	return vals
}

// CheckValues holds the chart's own values to the keys install sets (for the release r the chart
// claims to be) and the admin identity the trustee commands' tokens carry.
func CheckValues(defaults map[string]any, r Release) error {
	paths := [][]string{{"secrets", "useEphemeralGeneratedKeys"}, {"secrets", "existingSecretName"}, {"kbs", "service", "exposeLoadBalancer"}, {"nodePort", "enabled"}}
	for _, c := range Components {
		paths = append(paths, []string{c, "image", "repository"}, []string{c, "image", "tag"}, []string{c, "image", "pullPolicy"})
	}
	if r.TLS {
		paths = append(paths, []string{"kbs", "tls", "enabled"}, []string{"kbs", "tls", "secretName"})
	}
	for _, path := range paths {
		if _, ok := lookup(defaults, path); !ok {
			return fmt.Errorf("the chart has no value %s (%s has it)", strings.Join(path, "."), SupportedRange())
		}
	}
	for key, want := range map[string]string{"issuer": kbs.ChartClaims.Issuer, "role": kbs.ChartClaims.Role} {
		if got, _ := lookup(defaults, []string{"kbs", "config", "admin", key}); got != want {
			return fmt.Errorf("the chart's kbs.config.admin.%s is %v, not %q: kubectl coco's admin tokens would be refused", key, got, want)
		}
	}
	return nil
}

func lookup(m map[string]any, path []string) (any, bool) {
	var cur any = m
	for _, p := range path {
		mm, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		if cur, ok = mm[p]; !ok {
			return nil, false
		}
	}
	return cur, true
}

// Rendered is what install needs of the rendered release.
type Rendered struct {
	Deployments []string // the KBS's first
	// Images are the Deployments' container images (name: image; init containers left out).
	Images     map[string]string
	KBSService string
	// Exposed is the Service of the chosen exposure (the KBS's own for ClusterIP).
	Exposed string
}

// CheckManifest holds the rendered release to the contract: a KBS Deployment mounting the
// user-keys Secret through the chart's data keys, and the KBS Service of the exposure.
func CheckManifest(manifest, release, serviceType string) (*Rendered, error) {
	r := &Rendered{Images: map[string]string{}}
	var kbsMounts bool
	err := eachObject(manifest, func(kind string, doc []byte) error {
		switch kind {
		case "Deployment":
			var d appsv1.Deployment
			if err := sigyaml.Unmarshal(doc, &d); err != nil {
				return err
			}
			for _, c := range d.Spec.Template.Spec.Containers {
				r.Images[d.Name+"/"+c.Name] = c.Image
			}
			if strings.HasSuffix(d.Name, "-kbs") {
				r.Deployments = append([]string{d.Name}, r.Deployments...)
				kbsMounts = mountsKeys(&d, SecretName(release))
			} else {
				r.Deployments = append(r.Deployments, d.Name)
			}
		case "Service":
			var s corev1.Service
			if err := sigyaml.Unmarshal(doc, &s); err != nil {
				return err
			}
			if s.Spec.Selector["app"] != "kbs" {
				return nil
			}
			if s.Spec.Type == corev1.ServiceTypeClusterIP || s.Spec.Type == "" {
				r.KBSService = s.Name
			}
			if string(s.Spec.Type) == serviceType || (serviceType == "ClusterIP" && s.Spec.Type == "") {
				r.Exposed = s.Name
			}
		}
		return nil
	})
	switch {
	case err != nil:
		return nil, fmt.Errorf("the rendered chart does not parse: %w", err)
	case len(r.Deployments) == 0 || !strings.HasSuffix(r.Deployments[0], "-kbs"):
		return nil, fmt.Errorf("the chart renders no <release>-kbs Deployment")
	case !kbsMounts:
		return nil, fmt.Errorf("the KBS Deployment does not mount Secret %s with the keys %s", SecretName(release), strings.Join(SecretKeys, ", "))
	case r.KBSService == "" || r.Exposed == "":
		return nil, fmt.Errorf("the chart renders no %s Service for the KBS", serviceType)
	}
	return r, nil
}

// mountsKeys: a volume of the Secret whose items are the chart's data keys.
func mountsKeys(d *appsv1.Deployment, secret string) bool {
	for _, v := range d.Spec.Template.Spec.Volumes {
		if v.Secret == nil || v.Secret.SecretName != secret {
			continue
		}
		var keys []string
		for _, it := range v.Secret.Items {
			keys = append(keys, it.Key)
		}
		slices.Sort(keys)
		want := slices.Clone(SecretKeys)
		slices.Sort(want)
		return slices.Equal(keys, want)
	}
	return false
}

func eachObject(manifest string, fn func(kind string, doc []byte) error) error {
	r := yaml.NewYAMLReader(bufio.NewReader(strings.NewReader(manifest)))
	for {
		doc, err := r.Read()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		var meta struct{ Kind string }
		if sigyaml.Unmarshal(doc, &meta) != nil || meta.Kind == "" {
			continue
		}
		if err := fn(meta.Kind, doc); err != nil {
			return err
		}
	}
}
