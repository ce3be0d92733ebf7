package teecheck

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"reflect"
	"strings"
	"sync"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"k8s.io/client-go/rest"

	"github.com/osc-coco/kubectl-plugins/lib/cli"
	"github.com/osc-coco/kubectl-plugins/lib/tee/nodecheck"
	cmd "github.com/osc-coco/kubectl-plugins/plugins/teecheck/cmd"
)

// recorder keeps the request lines and Accept headers a command sends.
type recorder struct {
	next http.RoundTripper
	mu   *sync.Mutex
	reqs *[]string
}

func (r recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	r.mu.Lock()
	*r.reqs = append(*r.reqs, req.URL.RequestURI()+" accept="+req.Header.Get("Accept"))
	r.mu.Unlock()
	return r.next.RoundTrip(req)
}

// runRecorded runs teecheck in-process and returns its stdout, exit code and requests.
func runRecorded(t *testing.T, args ...string) (string, int, []string) {
	t.Helper()
	var out, errOut bytes.Buffer
	streams := genericiooptions.IOStreams{In: &bytes.Buffer{}, Out: &out, ErrOut: &errOut}
	root, g := cmd.NewRootWithGlobals(streams)
	var reqs []string
	g.WrapConfig = func(c *rest.Config) {
		c.Wrap(func(rt http.RoundTripper) http.RoundTripper {
			return recorder{next: rt, mu: &sync.Mutex{}, reqs: &reqs}
		})
	}
	root.SetArgs(append([]string{"--kubeconfig", cp.AdminKubeconfig}, args...))
	code := cli.ExecuteContext(context.Background(), root, streams)
	if code > 1 {
		t.Fatalf("%v: exit %d\n%s", args, code, errOut.String())
	}
	return out.String(), code, reqs
}

// Pages of the real API server, decoded from protobuf, give the report one LIST gives, and the
// verdicts the nodes read as JSON give.
func TestNodesInPagesMatchOneList(t *testing.T) {
	whole, code, reqs := runRecorded(t, "nodes", "-o", "json", "--chunk-size", "0")
	if code != 1 || len(reqs) != 1 || !strings.Contains(reqs[0], "/api/v1/nodes") || strings.Contains(reqs[0], "limit=") {
		t.Fatalf("--chunk-size 0: exit %d, requests %v; want exit 1 and one LIST without limit", code, reqs)
	}
	if !strings.Contains(reqs[0], "accept=application/vnd.kubernetes.protobuf") {
		t.Errorf("nodes not asked for as protobuf: %v", reqs)
	}
	paged, _, reqs := runRecorded(t, "nodes", "-o", "json", "--chunk-size", "2")
	if len(reqs) != len(clusterNodes)/2 || !strings.Contains(reqs[0], "limit=2") || !strings.Contains(reqs[1], "continue=") {
		t.Fatalf("--chunk-size 2 on %d nodes: requests %v; want %d pages", len(clusterNodes), reqs, len(clusterNodes)/2)
	}
	if paged != whole {
		t.Fatalf("pages and one LIST differ:\n%s\n---\n%s", paged, whole)
	}
	node, _, reqs := runRecorded(t, "node", "--all-nodes", "-o", "json", "--chunk-size", "4")
	if len(reqs) != 2 || node != whole {
		t.Fatalf("node --all-nodes --chunk-size 4: %d requests %v, same report %v", len(reqs), reqs, node == whole)
	}

	// The verdicts from protobuf are those from the nodes as JSON (the admin client's).
	nodes, err := cp.Admin.CoreV1().Nodes().List(context.Background(), metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var want []nodecheck.Report
	for i := range nodes.Items {
		want = append(want, nodecheck.Evaluate(&nodes.Items[i], nodecheck.Options{}))
	}
	data, _ := json.Marshal(want)
	want = nil
	if err := json.Unmarshal(data, &want); err != nil {
		t.Fatal(err)
	}
	var got cmd.NodeReportList
	if err := json.Unmarshal([]byte(whole), &got); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got.Items, want) {
		t.Fatalf("verdicts from protobuf pages differ from those from JSON:\n%+v\n%+v", got.Items, want)
	}
}
