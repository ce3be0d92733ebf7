package coco

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	nodev1 "k8s.io/api/node/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/osc-coco/kubectl-plugins/plugins/coco/agentpolicy"
	"github.com/osc-coco/kubectl-plugins/plugins/coco/cmd"
	"github.com/osc-coco/kubectl-plugins/plugins/coco/cmd/cmdutil"
	"github.com/osc-coco/kubectl-plugins/plugins/coco/initdata"
	"github.com/osc-coco/kubectl-plugins/plugins/coco/kbs"
	"github.com/osc-coco/kubectl-plugins/test/harness"
)

// podManifest is a Pod on the SNP node (kwok runs it) with an exec readiness probe.
func podManifest(t *testing.T, name, image string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name+".yaml")
	y := fmt.Sprintf(`apiVersion: v1
kind: Pod
metadata: {name: %s}
spec:
  nodeName: snp-w
  containers:
  - name: web
    image: %s
    readinessProbe: {exec: {command: [cat, /tmp/ready]}}
`, name, image)
	if err := os.WriteFile(p, []byte(y), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// imageRegistry serves an image web:1.0 from a registry on loopback (go-containerregistry's):
// its host, and the image's reference by digest.
func imageRegistry(t *testing.T) (string, string) {
	t.Helper()
	reg := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	t.Cleanup(reg.Close)
	host := strings.TrimPrefix(reg.URL, "http://")
	img, _ := random.Image(64, 1)
	ref, _ := name.ParseReference(host + "/web:1.0")
	if err := remote.Write(ref, img); err != nil {
		t.Fatal(err)
	}
	digest, _ := img.Digest()
	return host, host + "/web@" + digest.String()
}

// A confidential workload end to end: deploy gives it a restricted agent policy and pinned
// images, registers its initdata digest in Trustee (the KBS stand-in, evaluating the policies
// with OPA) so that only a guest reporting it gets the secret; verify checks each point.
func TestConfidentialWorkload(t *testing.T) {
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	ctx := context.Background()
	ns := newNamespace(t, "confidential")
	host, pinned := imageRegistry(t)

	pub, adminKey, _ := ed25519.GenerateKey(rand.Reader)
	priv, _, _ := kbs.MarshalKeys(adminKey)
	keyFile := filepath.Join(t.TempDir(), "admin.key")
	_ = os.WriteFile(keyFile, priv, 0o600)
	k := harness.StartKBSStandIn(t, pub)
	admin := []string{"--admin-url", k.URL, "--admin-key", keyFile}
	deploy := func(manifest string, args ...string) harness.Result {
		// -f splits at commas as kubectl's does; t.TempDir of a step named with one holds one.
		return run(ctx, cp.AdminKubeconfig, append([]string{"deploy", "-n", ns, "-f", `"` + manifest + `"`, "--runtime-class", "kata-qemu-snp"}, args...)...)
	}
	verify := func(pod string, args ...string) (cmd.VerifyReport, harness.Result) {
		res := run(ctx, cp.AdminKubeconfig, append([]string{"verify", pod, "-n", ns, "-o", "json"}, args...)...)
		var r cmd.VerifyReport
		if err := json.Unmarshal([]byte(res.Stdout), &r); err != nil || len(r.Workloads) != 1 {
			t.Fatalf("verify %s: exit %d %v\n%s", pod, res.Code, err, res.Stderr)
		}
		return r, res
	}
	web := podManifest(t, "web", host+"/web:1.0")
	var report cmd.DeployReport

	harness.Step(t, "a tag that does not resolve is refused before anything is applied", func(t *testing.T) {
		res := deploy(podManifest(t, "nope", host+"/web:nope"), append([]string{"--kbs-url", "http://10.0.0.5:8080"}, admin...)...)
		if res.Code != 1 || !strings.Contains(res.Stderr, "cannot resolve image") || !strings.Contains(res.Stderr, "--allow-tags") {
			t.Fatalf("exit %d %s", res.Code, res.Stderr)
		}
		if _, err := cp.Admin.CoreV1().Pods(ns).Get(ctx, "nope", metav1.GetOptions{}); err == nil {
			t.Fatal("the pod was created")
		}
	})

	harness.Step(t, "deploy: restricted policy, pinned image, digests and policies registered in Trustee", func(t *testing.T) {
		res := deploy(web, append([]string{"--kbs-url", "http://10.0.0.5:8080", "-o", "json"}, admin...)...)
		if err := json.Unmarshal([]byte(res.Stdout), &report); err != nil || res.Code != 0 {
			t.Fatalf("exit %d %v\n%s", res.Code, err, res.Stderr)
		}
		if !report.TEE || !report.HostShutOut || !report.SecretsBound || !report.Confidential || len(report.Workloads) != 1 ||
			report.Workloads[0].Policy != agentpolicy.KindRestricted || len(report.Images) != 1 || report.Images[0].To != pinned {
			t.Fatalf("report %+v\n%s", report, res.Stderr)
		}
		pod, err := cp.Admin.CoreV1().Pods(ns).Get(ctx, "web", metav1.GetOptions{})
		if err != nil || pod.Spec.Containers[0].Image != pinned {
			t.Fatalf("pod %v %+v", err, pod.Spec.Containers)
		}
		doc, err := initdata.Decode(pod.Annotations[initdata.Annotation])
		d, perr := initdata.Parse(doc)
		if err != nil || perr != nil || len(d.Data) != 3 || !strings.Contains(d.Data[initdata.KeyAA], "http://10.0.0.5:8080") ||
			agentpolicy.KindOf(d.Data[initdata.KeyPolicy]) != agentpolicy.KindRestricted || !strings.Contains(d.Data[initdata.KeyPolicy], pinned) {
			t.Fatalf("one initdata with aa.toml, cdh.toml and the policy: %v %v %v", err, perr, d)
		}
		snp := report.Workloads[0].Measurements[0].Hex
		var rv []string
		_ = json.Unmarshal(k.ReferenceValue(kbs.InitdataReferenceValues["snp"]), &rv)
		resourcePolicy, attestation := k.Policies()
		if !slices.Contains(rv, snp) || attestation[kbs.BoundPolicyID] != kbs.BoundAttestationPolicy || resourcePolicy != kbs.Profiles["restricted"] {
			t.Fatalf("Trustee holds %v and policies %q", rv, resourcePolicy)
		}
		if res := deploy(web, append([]string{"--kbs-url", "http://10.0.0.5:8080"}, admin...)...); res.Code != 0 || !strings.Contains(res.Stdout, "confidential: handler kata-qemu-snp") {
			t.Fatalf("rerun: exit %d %s %s", res.Code, res.Stdout, res.Stderr)
		}
		_ = json.Unmarshal(k.ReferenceValue(kbs.InitdataReferenceValues["snp"]), &rv)
		if len(rv) != 1 {
			t.Fatalf("a rerun registered the digest twice: %v", rv)
		}
	})

	harness.Step(t, "only a guest reporting the deployed initdata gets the secret", func(t *testing.T) {
		kc := func(args ...string) {
			t.Helper()
			res := run(ctx, cp.AdminKubeconfig, append(append([]string{"trustee"}, args...), "--kbs-url", k.URL, "--admin-key", keyFile)...)
			if res.Code != 0 {
				t.Fatalf("%v: exit %d %s", args, res.Code, res.Stderr)
			}
		}
		kc("resource", "set", "default/db/password", "--from-literal", "s3cret")
		// The operator's reference values for the hardware and firmware (numbers, as SNP reports them).
		kc("reference-value", "set", "snp_launch_measurement=aa11")
		for rv, v := range map[string]string{"snp_bootloader": "10", "snp_tee_svn": "0", "snp_snp_svn": "23", "snp_microcode": "219"} {
			kc("reference-value", "set", rv+"="+v, "--numbers")
		}
		pod, _ := cp.Admin.CoreV1().Pods(ns).Get(ctx, "web", metav1.GetOptions{})
		doc, _ := initdata.Decode(pod.Annotations[initdata.Annotation])
		guest := func(doc []byte, hostData string) *harness.KBSGuest {
			g := harness.NewKBSGuest(k.URL)
			g.Tee, g.InitData = "snp", string(doc)
			g.Evidence = func(reportData []byte) any {
				return harness.SNPStandInEvidence{ReportData: hex.EncodeToString(append(reportData, make([]byte, 16)...)), HostData: hostData,
					Measurement: "aa11", ReportedTCB: [4]int{10, 0, 23, 219}}
			}
			return g
		}
		ok := guest(doc, report.Workloads[0].Measurements[0].Hex)
		if status, body, err := ok.Attest(harness.BindRuntimeData); err != nil || status != http.StatusOK {
			t.Fatalf("attest: %d %s %v", status, body, err)
		}
		if got, err := ok.Fetch("default/db/password"); err != nil || string(got) != "s3cret" {
			t.Fatalf("the bound guest: %q %v", got, err)
		}
		// A guest started with other initdata (an allow-all policy) reports its own digest: refused.
		other := []byte(strings.Replace(string(doc), "restricted", "allow-all", 1))
		sum, _ := initdata.Digest("sha384", other)
		bad := guest(other, hex.EncodeToString(sum[:32]))
		if status, body, err := bad.Attest(harness.BindRuntimeData); err != nil || status != http.StatusOK {
			t.Fatalf("attest: %d %s %v", status, body, err)
		}
		if _, err := bad.Fetch("default/db/password"); err == nil || !strings.Contains(err.Error(), "PolicyDeny") {
			t.Fatalf("another initdata got the secret: %v", err)
		}
		// A host claiming the bound digest while booting other initdata fails the verifier's check.
		if status, _, _ := guest(other, report.Workloads[0].Measurements[0].Hex).Attest(harness.BindRuntimeData); status != http.StatusUnauthorized {
			t.Fatalf("a forged HOSTDATA attested: %d", status)
		}
	})

	harness.Step(t, "verify: the bound restricted pod passes every point, Trustee's unreadable policies vouched for", func(t *testing.T) {
		r, res := verify("web", append(admin, "--assume-policies")...)
		if res.Code != 0 || !r.OK || !r.Workloads[0].Confidential {
			t.Fatalf("exit %d %+v", res.Code, r)
		}
		// Trustee v0.21 cannot show its policies: without the user's word, verify cannot tell.
		r, res = verify("web", admin...)
		if last := r.Workloads[0].Points[len(r.Workloads[0].Points)-1]; res.Code != 1 || last.Name != "trustee-policies" || last.Status != "unknown" {
			t.Fatalf("without --assume-policies: exit %d %+v", res.Code, r.Workloads[0].Points)
		}
		if res := run(ctx, cp.AdminKubeconfig, "verify", "web", "-n", ns, "--assume-policies"); res.Code != 1 || !strings.Contains(res.Stdout, "? trustee") || !strings.Contains(res.Stdout, "--admin-url") {
			t.Fatalf("without admin access the binding cannot be told: exit %d %s", res.Code, res.Stdout)
		}
	})

	harness.Step(t, "allow-all, an unbound digest and a class without a TEE each fail verify with the reason", func(t *testing.T) {
		// A workload the host can enter gets no registered digest: it would unlock every secret.
		res := deploy(podManifest(t, "open", pinned), append([]string{"--policy", "allow-all", "--kbs-url", "http://10.0.0.5:8080"}, admin...)...)
		if res.Code != 1 || !strings.Contains(res.Stderr, "binding it would let such a guest have every secret") {
			t.Fatalf("bind allow-all: exit %d %s", res.Code, res.Stderr)
		}
		if _, err := cp.Admin.CoreV1().Pods(ns).Get(ctx, "open", metav1.GetOptions{}); err == nil {
			t.Fatal("a refused bind applied the pod")
		}
		res = deploy(podManifest(t, "open", pinned), "--policy", "allow-all", "--bind=false", "-o", "json")
		var r cmd.DeployReport
		if err := json.Unmarshal([]byte(res.Stdout), &r); err != nil || res.Code != 0 || r.HostShutOut || r.Confidential ||
			!strings.Contains(res.Stderr, "warning: pod/open: NOT confidential: its agent policy (allow-all) lets the host can exec") ||
			!r.Workloads[0].Allows.ForeignContainers {
			t.Fatalf("allow-all: exit %d %+v\n%s", res.Code, r, res.Stderr)
		}
		if res := deploy(podManifest(t, "unbound", pinned), "--kbs-url", "http://10.0.0.5:8080", "--bind=false"); res.Code != 0 || !strings.Contains(res.Stdout, "secrets NOT bound (--bind=false)") {
			t.Fatalf("unbound: exit %d %s", res.Code, res.Stdout)
		}
		if _, err := cp.Admin.NodeV1().RuntimeClasses().Create(ctx, &nodev1.RuntimeClass{ObjectMeta: metav1.ObjectMeta{Name: "runc-test"}, Handler: "runc"}, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		if res := run(ctx, cp.AdminKubeconfig, "deploy", "-n", ns, "-f", `"`+podManifest(t, "plain", pinned)+`"`, "--runtime-class", "runc-test", "--bind=false"); res.Code != 0 {
			t.Fatalf("runc: exit %d %s", res.Code, res.Stderr)
		}
		for pod, point := range map[string]string{"open": "policy", "unbound": "trustee", "plain": "runtime-class"} {
			r, res := verify(pod, append(admin, "--assume-policies")...)
			i := slices.IndexFunc(r.Workloads[0].Points, func(h cmdutil.Hop) bool { return h.Name == point })
			if res.Code != 1 || r.OK || i < 0 || r.Workloads[0].Points[i].Status != "fail" {
				t.Errorf("%s: exit %d %+v", pod, res.Code, r.Workloads[0].Points)
			}
		}
	})

	harness.Step(t, "genpolicy: missing is a clear error; the stand-in's policy and our KBS settings in one initdata", func(t *testing.T) {
		res := deploy(web, "--policy", "genpolicy", "--genpolicy", filepath.Join(t.TempDir(), "genpolicy"), "--bind=false")
		if res.Code != 1 || !strings.Contains(res.Stderr, "genpolicy ships in kata-containers' release tarball") || !strings.Contains(res.Stderr, "--policy restricted") {
			t.Fatalf("missing: exit %d %s", res.Code, res.Stderr)
		}
		t.Setenv(harness.GenpolicyStandInEnv, "1")
		res = deploy(web, "--policy", "genpolicy", "--genpolicy", os.Args[0], "--kbs-url", "http://10.0.0.5:8080", "--bind=false", "--dry-run=server")
		if res.Code != 0 || !strings.Contains(res.Stdout, string(agentpolicy.KindGenpolicy)+" agent policy") || !strings.Contains(res.Stdout, "the host is shut out") {
			t.Fatalf("stand-in: exit %d\n%s\n%s", res.Code, res.Stdout, res.Stderr)
		}
		// -o json of a server dry run prints the objects as the server would save them: the
		// same kind of thing as the client dry run (#27 class 4).
		res = deploy(web, "--policy", "genpolicy", "--genpolicy", os.Args[0], "--kbs-url", "http://10.0.0.5:8080", "--bind=false", "--dry-run=server", "-o", "json")
		var objs struct {
			Kind  string `json:"kind"`
			Items []struct {
				Kind string `json:"kind"`
			} `json:"items"`
		}
		if err := json.Unmarshal([]byte(res.Stdout), &objs); err != nil || res.Code != 0 || objs.Kind != "List" || len(objs.Items) == 0 || objs.Items[0].Kind != "Pod" {
			t.Fatalf("server dry run -o json: exit %d %v (%d bytes)\n%.400q\n%s", res.Code, err, len(res.Stdout), res.Stdout, res.Stderr)
		}
		res = deploy(web, "--policy", "genpolicy", "--genpolicy", os.Args[0], "--kbs-url", "http://10.0.0.5:8080", "--bind=false", "--dry-run", "-o", "yaml")
		i := strings.Index(res.Stdout, initdata.Annotation+": ")
		if res.Code != 0 || i < 0 {
			t.Fatalf("exit %d %s", res.Code, res.Stderr)
		}
		value := strings.Fields(res.Stdout[i+len(initdata.Annotation)+2:])[0]
		doc, err := initdata.Decode(value)
		d, _ := initdata.Parse(doc)
		if err != nil || d == nil || !strings.Contains(d.Data[initdata.KeyCDH], "http://10.0.0.5:8080") || !strings.Contains(d.Data[initdata.KeyPolicy], "policy_data := ") {
			t.Fatalf("merged initdata: %v %s", err, doc)
		}
	})

	harness.Step(t, "undeploy removes the pod and, from Trustee, the digests no workload carries", func(t *testing.T) {
		snp := report.Workloads[0].Measurements[0].Hex
		res := run(ctx, cp.AdminKubeconfig, append([]string{"undeploy", "-n", ns, "-f", web}, admin...)...)
		if res.Code != 0 || !strings.Contains(res.Stdout, "deleted pod/web") || !strings.Contains(res.Stdout, "removed kubectl-coco-initdata-snp: "+snp) {
			t.Fatalf("exit %d %s %s", res.Code, res.Stdout, res.Stderr)
		}
		var rv []string
		_ = json.Unmarshal(k.ReferenceValue(kbs.InitdataReferenceValues["snp"]), &rv)
		if slices.Contains(rv, snp) {
			t.Fatalf("Trustee still holds %s: %v", snp, rv)
		}
	})
}
