package cmd

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/osc-coco/kubectl-plugins/lib/cli/clitest"
	"github.com/osc-coco/kubectl-plugins/lib/helmrelease/helmtest"
	"github.com/osc-coco/kubectl-plugins/lib/kube"
	"github.com/osc-coco/kubectl-plugins/lib/output"
	"github.com/osc-coco/kubectl-plugins/plugins/coco/trusteechart"
)

// The hops' logic on fakes: the probe pod "runs" through the fake (its log is client-go's
// "fake logs", not a challenge); test/realnode runs the real pod, test/trustee the KBS stand-in.
func TestAttestCheckOnFakes(t *testing.T) {
	t.Setenv("XDG_CONFIG_HOME", t.TempDir()) // no admin key
	kbsSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/kbs/v0/auth" && r.Method == http.MethodPost {
			_, _ = w.Write([]byte(`{"nonce":"bm9uY2U=","extra-params":{}}`))
			return
		}
		w.WriteHeader(http.StatusNotFound)
	}))
	defer kbsSrv.Close()
	run := func(o *AttestCheckOptions) (string, string, int) {
		var s clitest.Streams
		hc, err := helmtest.MemoryClient(trusteechart.Namespace)
		if err != nil {
			t.Fatal(err)
		}
		o.g = clitest.Globals(PluginName, &s)
		o.clients, o.releases = &kube.Clients{Kube: smokeCluster("6.8.0", true), Namespace: "default"}, hc
		o.admin.g, o.admin.Timeout, o.Timeout, o.Image, o.PullPolicy = o.g, 5*time.Second, time.Minute, "busybox", "IfNotPresent"
		o.out.Output = "jsonpath={range .hops[*]}{.name}={.status} {end}"
		code := clitest.Run(o, &s)
		return s.Out.String(), s.ErrOut.String(), code
	}
	out, errOut, code := run(&AttestCheckOptions{KBSURL: "http://10.0.0.5:8080", admin: kbsAccess{URL: kbsSrv.URL}})
	if code != 1 || out != "trustee=skipped from-here=ok from-worker=fail untrusted-guest=cannot-tell admin=skipped " {
		t.Fatalf("exit %d %q %s", code, out, errOut)
	}
	out, errOut, code = run(&AttestCheckOptions{})
	if code != 1 || out != "trustee=fail from-here=skipped from-worker=skipped untrusted-guest=skipped admin=skipped " {
		t.Fatalf("nothing installed: exit %d %q %s", code, out, errOut)
	}
	var s clitest.Streams
	o := &AttestCheckOptions{g: clitest.Globals(PluginName, &s), KBSURL: "kbs:8080", Timeout: time.Minute, out: output.Flags{}}
	if err := o.Validate(); err == nil || !strings.Contains(err.Error(), "--kbs-url") {
		t.Fatalf("bad URL: %v", err)
	}
}
