package trusteechart

import (
	"fmt"
	"slices"

	"github.com/BurntSushi/toml"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	sigyaml "sigs.k8s.io/yaml"

	"github.com/osc-coco/kubectl-plugins/plugins/coco/kbs"
)

// kbsConfig is what kubectl coco depends on in the KBS's configuration (trustee v0.21.0
// kbs/src/config.rs KbsConfig, as files/kbs-config.toml.template renders it).
type kbsConfig struct {
	HTTPServer struct {
		InsecureHTTP bool   `toml:"insecure_http"`
		PrivateKey   string `toml:"private_key"`
		Certificate  string `toml:"certificate"`
	} `toml:"http_server"`
	AttestationService struct {
		Type string `toml:"type"`
	} `toml:"attestation_service"`
	Admin struct {
		AuthorizationMode string `toml:"authorization_mode"`
		Authentication    struct {
			BearerJWT struct {
				IdentityProviders []struct {
					Issuer       string `toml:"issuer"`
					Audience     string `toml:"audience"`
					PublicKeyURI string `toml:"public_key_uri"`
				} `toml:"identity_providers"`
			} `toml:"bearer_jwt"`
		} `toml:"authentication"`
		Authorization struct {
			RegexACL struct {
				ACLs []struct {
					Role             string `toml:"role"`
					AllowedEndpoints string `toml:"allowed_endpoints"`
				} `toml:"acls"`
			} `toml:"regex_acl"`
		} `toml:"authorization"`
	} `toml:"admin"`
	Plugins []struct {
		Name string `toml:"name"`
	} `toml:"plugins"`
}

// CheckKBSConfig holds the KBS configuration the chart renders (the ConfigMap's kbs-config.toml)
// to what kubectl coco's commands depend on: the listener's scheme, the gRPC CoCo attestation
// service (the RCAR flow install's users get), the admin API in AuthenticatedAuthorization mode
// with one identity provider whose issuer kubectl coco's tokens carry and no audience they lack,
// the admin role allowed on every /kbs/ path, and the resource plugin.
func CheckKBSConfig(manifest string, tls bool) error {
	raw, err := kbsConfigText(manifest)
	if err != nil {
		return err
	}
	var c kbsConfig
	if _, err := toml.Decode(raw, &c); err != nil {
		return fmt.Errorf("the KBS configuration (kbs-config.toml) does not parse: %w", err)
	}
	return c.check(tls)
}

func (c *kbsConfig) check(tls bool) error {
	key := func(k string, got any, want string) error {
		return fmt.Errorf("the KBS configuration's %s is %v, not %s", k, got, want)
	}
	switch {
	case tls && (c.HTTPServer.PrivateKey == "" || c.HTTPServer.Certificate == "" || c.HTTPServer.InsecureHTTP):
		return key("[http_server] private_key/certificate/insecure_http", fmt.Sprintf("%q/%q/%v", c.HTTPServer.PrivateKey, c.HTTPServer.Certificate, c.HTTPServer.InsecureHTTP), "a key and certificate with insecure_http off (kbs.tls.enabled)")
	case !tls && !c.HTTPServer.InsecureHTTP:
		return key("[http_server] insecure_http", false, "true (no TLS was asked for)")
	case c.AttestationService.Type != "coco_as_grpc":
		return key("[attestation_service] type", c.AttestationService.Type, `"coco_as_grpc"`)
	case c.Admin.AuthorizationMode != "AuthenticatedAuthorization":
		return key("[admin] authorization_mode", c.Admin.AuthorizationMode, `"AuthenticatedAuthorization"`)
	}
	idps := c.Admin.Authentication.BearerJWT.IdentityProviders
	if len(idps) != 1 || idps[0].Issuer != kbs.ChartClaims.Issuer || idps[0].PublicKeyURI == "" {
		return key("[admin.authentication.bearer_jwt] identity_providers", idps, "one provider with issuer "+kbs.ChartClaims.Issuer+" and a public_key_uri")
	}
	if idps[0].Audience != "" && idps[0].Audience != kbs.ChartClaims.Audience {
		return key("[admin.authentication.bearer_jwt] audience", idps[0].Audience, "empty or "+kbs.ChartClaims.Audience+" (kubectl coco's tokens carry that audience)")
	}
	acls := c.Admin.Authorization.RegexACL.ACLs
	if !slices.ContainsFunc(acls, func(a struct {
		Role             string `toml:"role"`
		AllowedEndpoints string `toml:"allowed_endpoints"`
	}) bool {
		return a.Role == kbs.ChartClaims.Role && a.AllowedEndpoints == "^/kbs/.+$"
	}) {
		return key("[admin.authorization.regex_acl] acls", acls, `role "admin" on "^/kbs/.+$"`)
	}
	if !slices.ContainsFunc(c.Plugins, func(p struct {
		Name string `toml:"name"`
	}) bool {
		return p.Name == "resource"
	}) {
		return key("[[plugins]]", c.Plugins, `one named "resource"`)
	}
	return nil
}

// kbsConfigText is the rendered ConfigMap's kbs-config.toml.
func kbsConfigText(manifest string) (string, error) {
	var text string
	err := eachObject(manifest, func(kind string, doc []byte) error {
		if kind != "ConfigMap" || text != "" {
			return nil
		}
		var cm corev1.ConfigMap
		if err := sigyaml.Unmarshal(doc, &cm); err != nil {
			return err
		}
		text = cm.Data["kbs-config.toml"]
		return nil
	})
	switch {
	case err != nil:
		return "", fmt.Errorf("the rendered chart does not parse: %w", err)
	case text == "":
		return "", fmt.Errorf("the chart renders no ConfigMap with kbs-config.toml")
	}
	return text, nil
}

// ServesTLS says whether a rendered release's KBS serves HTTPS (its [http_server] has a key and
// certificate and insecure_http off).
func ServesTLS(manifest string) bool {
	raw, err := kbsConfigText(manifest)
	if err != nil {
		return false
	}
	var c kbsConfig
	_, err = toml.Decode(raw, &c)
	return err == nil && !c.HTTPServer.InsecureHTTP && c.HTTPServer.PrivateKey != "" && c.HTTPServer.Certificate != ""
}

// KBSConfigGVR is the trustee-operator's KbsConfig (confidential-containers/trustee-operator),
// the legacy way to run Trustee that trustee status recognises.
var KBSConfigGVR = schema.GroupVersionResource{Group: "confidentialcontainers.org", Version: "v1alpha1", Resource: "kbsconfigs"}
