package trustee

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	authorizationv1 "k8s.io/api/authorization/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"
	"sigs.k8s.io/yaml"

	"github.com/osc-coco/kubectl-plugins/lib/cli"
	"github.com/osc-coco/kubectl-plugins/lib/cli/clitest"
	"github.com/osc-coco/kubectl-plugins/lib/kube"
	"github.com/osc-coco/kubectl-plugins/lib/output"
	"github.com/osc-coco/kubectl-plugins/plugins/coco/cmd/cmdutil"
	"github.com/osc-coco/kubectl-plugins/plugins/coco/sealed"
)

func sealCluster(allow bool, objs ...runtime.Object) *fake.Clientset {
	cs := fake.NewClientset(append([]runtime.Object{&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "apps"}}}, objs...)...)
	cs.PrependReactor("create", "selfsubjectaccessreviews", func(a k8stesting.Action) (bool, runtime.Object, error) {
		r := a.(k8stesting.CreateAction).GetObject().(*authorizationv1.SelfSubjectAccessReview)
		r.Status.Allowed = allow
		return true, r, nil
	})
	return cs
}

func runSeal(t *testing.T, cs *fake.Clientset, o *SealOptions, args ...string) (string, string, int) {
	t.Helper()
	var s clitest.Streams
	o.g = clitest.Globals(pluginName, &s)
	if cs != nil {
		o.clients = &kube.Clients{Kube: cs, Namespace: "apps"}
	}
	if o.Key == "" {
		o.Key = "secret"
	}
	if o.SigningKid == "" {
		o.SigningKid = DefaultSigningKid
	}
	if o.DryRun == "" {
		o.DryRun = cli.DryRunNone
	}
	code := clitest.Run(o, &s, args...)
	return s.Out.String(), s.ErrOut.String(), code
}

func TestSealOnFakes(t *testing.T) {
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	keyPath, _ := defaultSealingKeyPath()
	const res = "kbs:///default/db/password"

	// A client dry run prints the Secret and writes no key.
	out, errOut, code := runSeal(t, nil, &SealOptions{Resource: res, DryRun: cli.DryRunClient}, "db")
	var printed corev1.Secret
	if err := yaml.Unmarshal([]byte(out), &printed); err != nil || code != 0 || printed.Kind != "Secret" || !strings.HasPrefix(string(printed.Data["secret"]), "sealed.") {
		t.Fatalf("dry run: exit %d %v\n%s\n%s", code, err, out, errOut)
	}
	if _, err := os.Stat(keyPath); !os.IsNotExist(err) || !strings.Contains(errOut, "throwaway key") {
		t.Fatalf("a dry run wrote the key (%v) or did not say: %s", err, errOut)
	}

	// Refused by RBAC: nothing changes, no key is written.
	cs := sealCluster(false)
	if _, errOut, code := runSeal(t, cs, &SealOptions{Resource: res}, "db"); code != 1 || !strings.Contains(errOut, "create secrets") {
		t.Fatalf("refused: exit %d %s", code, errOut)
	}
	if _, err := os.Stat(keyPath); !os.IsNotExist(err) {
		t.Fatal("a refused run wrote the key")
	}

	// Sealed: the Secret holds a pointer that verifies with the public half written beside the key.
	cs = sealCluster(true)
	out, errOut, code = runSeal(t, cs, &SealOptions{Resource: res}, "db")
	if code != 0 || !strings.Contains(out, "secret/db created") || !strings.Contains(errOut, "created the signing key") {
		t.Fatalf("seal: exit %d\n%s\n%s", code, out, errOut)
	}
	if fi, err := os.Stat(keyPath); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file: %v %v", fi, err)
	}
	pubData, err := os.ReadFile(filepath.Join(filepath.Dir(keyPath), "sealing-key.pub.jwk"))
	if err != nil || strings.Contains(string(pubData), `"d"`) {
		t.Fatalf("public half: %v %s", err, pubData)
	}
	pub, err := sealed.ParsePublicJWK(pubData)
	if err != nil {
		t.Fatal(err)
	}
	sec, _ := cs.CoreV1().Secrets("apps").Get(t.Context(), "db", metav1.GetOptions{})
	p, err := sealed.Parse(string(sec.Data["secret"]))
	if err != nil || p.Verify(pub) != nil || p.Secret.Name != res || sec.Labels[cmdutil.ManagedByLabel] != "kubectl-coco" {
		t.Fatalf("stored secret: %v %+v %v", err, p, sec.Labels)
	}
	var priv sealed.JWK
	if data, err := os.ReadFile(keyPath); err != nil || json.Unmarshal(data, &priv) != nil || priv.D == "" {
		t.Fatalf("private key file: %v", err)
	}
	if strings.Contains(out+errOut, priv.D) {
		t.Fatal("the private key reached the output")
	}

	// Again: unchanged; another resource: updated.
	if out, _, code := runSeal(t, cs, &SealOptions{Resource: res, out: output.Flags{Output: "jsonpath={.result}"}}, "db"); code != 0 || out != "unchanged" {
		t.Fatalf("rerun: exit %d %q", code, out)
	}
	if out, errOut, code := runSeal(t, cs, &SealOptions{Resource: "kbs:///default/db/other", out: output.Flags{Output: "name", Named: true}}, "db"); code != 0 || out != "secret/db\n" {
		t.Fatalf("update: exit %d %q %s", code, out, errOut)
	}
	sec, _ = cs.CoreV1().Secrets("apps").Get(t.Context(), "db", metav1.GetOptions{})
	if p, err := sealed.Parse(string(sec.Data["secret"])); err != nil || p.Secret.Name != "kbs:///default/db/other" {
		t.Fatalf("not updated: %v %+v", err, p)
	}

	// A Secret someone else made is left alone.
	theirs := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "theirs", Namespace: "apps"}, Data: map[string][]byte{"secret": []byte("x")}}
	cs = sealCluster(true, theirs)
	if _, errOut, code := runSeal(t, cs, &SealOptions{Resource: res}, "theirs"); code != 1 || !strings.Contains(errOut, "was not made by kubectl coco") {
		t.Fatalf("theirs: exit %d %s", code, errOut)
	}
	if got, _ := cs.CoreV1().Secrets("apps").Get(t.Context(), "theirs", metav1.GetOptions{}); string(got.Data["secret"]) != "x" {
		t.Fatal("their Secret was changed")
	}

	for _, tc := range []struct {
		o    *SealOptions
		want string
	}{
		{&SealOptions{}, "--resource is required"},
		{&SealOptions{Resource: "default/db/password"}, "not a KBS resource URI"},
		{&SealOptions{Resource: res, SigningKid: "key-1"}, "--signing-kid"},
		{&SealOptions{Resource: res, Key: "a/b"}, "invalid --key"},
		{&SealOptions{Resource: res, SigningKey: filepath.Join(t.TempDir(), "none.jwk")}, "--signing-key"},
	} {
		if _, errOut, code := runSeal(t, sealCluster(true), tc.o, "db"); code != 2 || !strings.Contains(errOut, tc.want) {
			t.Errorf("%+v: exit %d %s", tc.o, code, errOut)
		}
	}
}

// #27 class 4: --dry-run=server -o json prints the same kind of thing as --dry-run=client: the
// Secret.
func TestSealServerDryRunPrintsTheSecret(t *testing.T) {
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	for _, dr := range []cli.DryRun{cli.DryRunClient, cli.DryRunServer} {
		out, errOut, code := runSeal(t, sealCluster(true), &SealOptions{Resource: "kbs:///default/db/password", DryRun: dr, out: output.Flags{Output: "json"}}, "db")
		var sec corev1.Secret
		if err := json.Unmarshal([]byte(out), &sec); err != nil || code != 0 || sec.Kind != "Secret" || sec.Name != "db" {
			t.Fatalf("%s: exit %d %v\n%s\n%s", dr, code, err, out, errOut)
		}
	}
}
