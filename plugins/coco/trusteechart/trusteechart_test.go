package trusteechart

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"helm.sh/helm/v4/pkg/chart/v2/loader"

	"github.com/osc-coco/kubectl-plugins/lib/helmrelease"
)

// fixture is our model of Trustee's chart at v0.21.0 (test/charts/trustee).
func fixture(t *testing.T) string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "..", "test", "charts", "trustee")
}

func TestTheChartsContract(t *testing.T) {
	ch, err := loader.Load(fixture(t))
	if err != nil {
		t.Fatal(err)
	}
	if err := CheckValues(ch.Values); err != nil {
		t.Fatal(err)
	}
	for _, st := range ServiceTypes {
		rel, err := helmrelease.Render(context.Background(), ch, Values(ReleaseName, st), ReleaseName, Namespace)
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
	if err := CheckValues(vals); err == nil || !strings.Contains(err.Error(), `issuer is MyIssuer, not "TrusteeInHelm"`) {
		t.Fatalf("%v", err)
	}
	delete(vals, "nodePort")
	if err := CheckValues(vals); err == nil || !strings.Contains(err.Error(), "no value nodePort.enabled") {
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
