package helmcmd

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/osc-coco/kubectl-plugins/plugins/coco/cmd/cmdtest"
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
	check := func(args ...string) (string, string, int) {
		f := cmdtest.OnCluster(cmdtest.SmokeCluster("6.8.0", true))
		r := run(f, append([]string{"attest", "check", "--timeout", "1m", "--image", "busybox", "--image-pull-policy", "IfNotPresent",
			"-o", "jsonpath={range .hops[*]}{.name}={.status} {end}"}, args...)...)
		return r.Out, r.Err, r.Code
	}
	out, errOut, code := check("--kbs-url", "http://10.0.0.5:8080", "--local-url", kbsSrv.URL)
	if code != 1 || out != "trustee=skip from-here=pass from-worker=fail untrusted-guest=unknown admin=skip " {
		t.Fatalf("exit %d %q %s", code, out, errOut)
	}
	out, errOut, code = check()
	if code != 1 || out != "trustee=fail from-here=skip from-worker=skip untrusted-guest=skip admin=skip " {
		t.Fatalf("nothing installed: exit %d %q %s", code, out, errOut)
	}
	if _, errOut, code := check("--kbs-url", "kbs:8080"); code != 2 || !strings.Contains(errOut, "--kbs-url") {
		t.Fatalf("bad URL: exit %d %s", code, errOut)
	}
}
