package trusteechart

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"slices"
	"strings"
	"testing"
	"time"

	"helm.sh/helm/v4/pkg/chart/v2/loader"

	"github.com/osc-coco/kubectl-plugins/lib/helmrelease"
	"github.com/osc-coco/kubectl-plugins/test/repo"
)

// fixture is our model of Trustee's chart at v0.21.0 (test/charts/trustee).
func fixture(t *testing.T) string {
	return repo.Path("test", "charts", "trustee")
}

func TestTheChartsContract(t *testing.T) {
	ch, err := loader.Load(fixture(t))
	if err != nil {
		t.Fatal(err)
	}
	r018, _ := Known("0.18.0")
	if err := CheckValues(ch.Values, r018); err != nil {
		t.Fatal(err)
	}
	// Chart 0.18.0 has no kbs.tls: a chart claiming 0.21's TLS must have it.
	r021, _ := Known("0.21.0")
	if err := CheckValues(ch.Values, r021); err == nil || !strings.Contains(err.Error(), "no value kbs.tls.enabled") {
		t.Fatalf("0.18.0's values as 0.21.0: %v", err)
	}
	for _, st := range ServiceTypes {
		rel, err := helmrelease.Render(context.Background(), ch, Values(ReleaseName, st, false, nil), ReleaseName, Namespace)
		if err != nil {
			t.Fatalf("%s: %v", st, err)
		}
		r, err := CheckManifest(rel.Manifest, ReleaseName, st)
		if err != nil {
			t.Fatalf("%s: %v", st, err)
		}
		want := map[string]string{"ClusterIP": "trustee-kbs", "NodePort": "trustee-kbs-nodeport", "LoadBalancer": "trustee-kbs-lb"}[st]
		if r.Exposed != want || r.KBSService != "trustee-kbs" || strings.Join(r.Deployments, ",") != "trustee-kbs,trustee-as,trustee-rvps" {
			t.Errorf("%s: %+v", st, r)
		}
		if strings.Contains(rel.Manifest, "bootstrap-user-keys") || len(rel.Hooks) != 0 {
			t.Errorf("%s: the chart's own key job is rendered", st)
		}
		if err := CheckKBSConfig(rel.Manifest, false); err != nil {
			t.Errorf("%s: %v", st, err)
		}
		if got := Unpinned(r.Images); len(got) != 3 {
			t.Errorf("%s: the chart's defaults are latest: %v", st, got)
		}
	}
	// The chart refuses our values without the Secret's name, as upstream's required does.
	if _, err := helmrelease.Render(context.Background(), ch, map[string]any{"secrets": map[string]any{"useEphemeralGeneratedKeys": false}}, ReleaseName, Namespace); err == nil ||
		!strings.Contains(err.Error(), "secrets.existingSecretName must be set") {
		t.Fatalf("%v", err)
	}
}

func TestAnotherChartIsRefused(t *testing.T) {
	vals := map[string]any{"secrets": map[string]any{"useEphemeralGeneratedKeys": true, "existingSecretName": ""}, "kbs": map[string]any{"service": map[string]any{"exposeLoadBalancer": false},
		"config": map[string]any{"admin": map[string]any{"issuer": "MyIssuer", "role": "admin"}}}, "nodePort": map[string]any{"enabled": false}}
	for _, c := range Components {
		vals[c] = map[string]any{"image": map[string]any{"repository": "r", "tag": "latest", "pullPolicy": "Always"}}
	}
	vals["kbs"].(map[string]any)["service"] = map[string]any{"exposeLoadBalancer": false}
	vals["kbs"].(map[string]any)["config"] = map[string]any{"admin": map[string]any{"issuer": "MyIssuer", "role": "admin"}}
	r018, _ := Known("0.18.0")
	if err := CheckValues(vals, r018); err == nil || !strings.Contains(err.Error(), `issuer is MyIssuer, not "TrusteeInHelm"`) {
		t.Fatalf("%v", err)
	}
	delete(vals, "nodePort")
	if err := CheckValues(vals, r018); err == nil || !strings.Contains(err.Error(), "no value nodePort.enabled") || !strings.Contains(err.Error(), "0.18.0 (trustee v0.21.0") {
		t.Fatalf("%v", err)
	}
	const mountsOther = `apiVersion: apps/v1
kind: Deployment
metadata: {name: trustee-kbs}
spec: {template: {spec: {volumes: [{name: user-keys, secret: {secretName: trustee-user-keys}}]}}}
---
apiVersion: v1
kind: Service
metadata: {name: trustee-kbs}
spec: {selector: {app: kbs}}
`
	if _, err := CheckManifest(mountsOther, ReleaseName, "ClusterIP"); err == nil || !strings.Contains(err.Error(), "does not mount Secret trustee-kubectl-coco-keys") {
		t.Fatalf("%v", err)
	}
}

func TestSecretData(t *testing.T) {
	_, admin, _ := ed25519.GenerateKey(rand.Reader)
	data, err := SecretData(admin, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if len(data) != len(SecretKeys) || len(data["KBS_ADMIN_PRIVATE_KEY"]) != 0 || !strings.HasPrefix(string(data["KBS_ADMIN_PUBKEY"]), "-----BEGIN PUBLIC KEY-----") {
		t.Fatalf("keys %v", data)
	}
	rest := data["AS_TOKEN_VERIFICATION_PUBLIC_KEY_CERT_CHAIN"]
	var certs []*x509.Certificate
	for {
		var b *pem.Block
		if b, rest = pem.Decode(rest); b == nil {
			break
		}
		c, err := x509.ParseCertificate(b.Bytes)
		if err != nil {
			t.Fatal(err)
		}
		certs = append(certs, c)
	}
	if len(certs) != 2 || certs[0].CheckSignatureFrom(certs[1]) != nil || certs[0].DNSNames[0] != "localhost" {
		t.Fatalf("chain %v", certs)
	}
	b, _ := pem.Decode(data["AS_TOKEN_SIGNING_PRIVATE_KEY"])
	key, err := x509.ParseECPrivateKey(b.Bytes)
	if err != nil || !key.PublicKey.Equal(certs[0].PublicKey) {
		t.Fatalf("the token key is not the leaf's: %v", err)
	}
}

func TestVersionsAndImages(t *testing.T) {
	for v, want := range map[string]string{"0.18.0": "0.18.0", "0.18.3": "0.18.0", "0.21.0": "0.21.0", "0.21.2": "0.21.0", "0.19.0": "", "0.22.0": "", "latest": ""} {
		r, ok := Known(v)
		if r.Chart != want || ok != (want != "") {
			t.Errorf("%s: %+v %v", v, r, ok)
		}
	}
	r, _ := Known("0.21.0")
	if !r.TLS || r.ImageTag != TrusteeV021Images {
		t.Fatalf("%+v", r)
	}
	vals := PinImages(r, UserImages([]string{"kbs.image.tag=mine", "replicas=2"}))
	if _, ok := vals["kbs"]; ok || vals["as"].(map[string]any)["image"].(map[string]any)["tag"] != TrusteeV021Images ||
		vals["rvps"].(map[string]any)["image"].(map[string]any)["pullPolicy"] != "IfNotPresent" {
		t.Fatalf("%v", vals)
	}
	got := Unpinned(map[string]string{"a": "ghcr.io/x/kbs:latest", "b": "ghcr.io/x/kbs", "c": "localhost:5000/x/kbs", "d": "ghcr.io/x/kbs:" + TrusteeV021Images, "e": "x@sha256:abc"})
	slices.Sort(got)
	if strings.Join(got, ",") != "a (ghcr.io/x/kbs:latest),b (ghcr.io/x/kbs),c (localhost:5000/x/kbs)" {
		t.Fatalf("%v", got)
	}
}

// The KBS configuration is held to what kubectl coco depends on, key by key.
func TestKBSConfigContract(t *testing.T) {
	const good = `[http_server]
insecure_http = true
[attestation_service]
type = "coco_as_grpc"
[admin]
authorization_mode = "AuthenticatedAuthorization"
[admin.authentication.bearer_jwt]
identity_providers = [{ issuer = "TrusteeInHelm", public_key_uri = "/k/public.pub" }]
[admin.authorization.regex_acl]
acls = [{ role = "admin", allowed_endpoints = "^/kbs/.+$" }]
[[plugins]]
name = "resource"
`
	cm := func(toml string) string {
		return "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: trustee-kbs-config}\ndata:\n  kbs-config.toml: |\n    " + strings.ReplaceAll(toml, "\n", "\n    ") + "\n"
	}
	if err := CheckKBSConfig(cm(good), false); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ edit, tls, want string }{
		{"", "tls", "private_key/certificate"},
		{`insecure_http = true|insecure_http = false`, "", "insecure_http is false"},
		{`"coco_as_grpc"|"intel_ta"`, "", `[attestation_service] type is intel_ta`},
		{`"AuthenticatedAuthorization"|"DenyAll"`, "", "authorization_mode is DenyAll"},
		{`issuer = "TrusteeInHelm"|issuer = "Other"`, "", "identity_providers"},
		{`public_key_uri = "/k/public.pub"|public_key_uri = "/k/public.pub", audience = "somebody"`, "", "audience is somebody"},
		{`role = "admin"|role = "reader"`, "", "regex_acl"},
		{`name = "resource"|name = "sample"`, "", "[[plugins]]"},
	} {
		text := good
		if old, repl, ok := strings.Cut(tc.edit, "|"); ok {
			text = strings.Replace(good, old, repl, 1)
		}
		if err := CheckKBSConfig(cm(text), tc.tls == "tls"); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v", tc.edit, err)
		}
	}
	if err := CheckKBSConfig(cm("[http_server\n"), false); err == nil || !strings.Contains(err.Error(), "does not parse") {
		t.Errorf("broken: %v", err)
	}
}

func TestKBSCertificates(t *testing.T) {
	now := time.Now()
	ca, err := NewCA(now)
	if err != nil {
		t.Fatal(err)
	}
	certPEM, keyPEM, err := ca.PEM()
	if err != nil {
		t.Fatal(err)
	}
	back, err := ParseCA(certPEM, keyPEM)
	if err != nil || !back.Cert.Equal(ca.Cert) {
		t.Fatalf("%v", err)
	}
	hosts := KBSHosts("trustee-kbs", "trustee", "10.96.0.10")
	data, err := ca.Issue(hosts, now)
	if err != nil {
		t.Fatal(err)
	}
	if err := ca.Covers(data, hosts, now); err != nil {
		t.Fatal(err)
	}
	if err := ca.Covers(data, append(hosts, "203.0.113.7"), now); err == nil {
		t.Fatal("a certificate without the load balancer's address covers it")
	}
	other, _ := NewCA(now)
	if err := other.Covers(data, hosts, now); err == nil || !strings.Contains(err.Error(), "another CA") {
		t.Fatalf("another CA: %v", err)
	}
	if err := ca.Covers(data, hosts, now.AddDate(1, 0, 0)); err == nil || !strings.Contains(err.Error(), "expires") {
		t.Fatalf("expiring: %v", err)
	}
	// A TLS client that trusts the CA (initdata's kbs_cert, --kbs-cert) accepts the KBS's certificate for each host.
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(data["ca.crt"])
	leaf, _ := ParseCertificate(data["tls.crt"])
	for _, h := range hosts {
		if _, err := leaf.Verify(x509.VerifyOptions{Roots: pool, DNSName: h}); err != nil {
			t.Errorf("%s: %v", h, err)
		}
	}
	if _, err := ParseCA(certPEM, data["tls.key"]); err == nil {
		t.Error("a key of another certificate was taken as the CA's")
	}
}
