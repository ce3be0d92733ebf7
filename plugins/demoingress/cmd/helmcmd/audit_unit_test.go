package helmcmd

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	networkingv1 "k8s.io/api/networking/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"
	"k8s.io/utils/ptr"

	"github.com/osc-coco/kubectl-plugins/lib/cli/clitest"
	"github.com/osc-coco/kubectl-plugins/lib/kube"
	"github.com/osc-coco/kubectl-plugins/lib/output"
	"github.com/osc-coco/kubectl-plugins/plugins/demoingress/cmd"
)

func auditCluster(ann map[string]string) *fake.Clientset {
	class := &networkingv1.IngressClass{ObjectMeta: metav1.ObjectMeta{Name: "nginx"}, Spec: networkingv1.IngressClassSpec{Controller: "k8s.io/ingress-nginx"}}
	ing := &networkingv1.Ingress{ObjectMeta: metav1.ObjectMeta{Name: "shop", Namespace: "web", Annotations: ann},
		Spec: networkingv1.IngressSpec{IngressClassName: ptr.To("nginx")}}
	return fake.NewClientset(class, ing)
}

func runAudit(t *testing.T, cs *fake.Clientset, format string) (int, clitest.Streams) {
	t.Helper()
	var s clitest.Streams
	o := &AuditOptions{g: clitest.Globals(cmd.PluginName, &s), clients: &kube.Clients{Kube: cs}, releases: memReleases(t), out: output.Flags{Output: format}}
	return clitest.Run(o, &s), s
}

func TestAuditOnFakes(t *testing.T) {
	code, s := runAudit(t, auditCluster(map[string]string{"nginx.ingress.kubernetes.io/proxy-body-size": "8m"}), "json")
	var r AuditReport
	if err := json.Unmarshal(s.Out.Bytes(), &r); err != nil {
		t.Fatal(err, s.Out.String())
	}
	if code != 0 || !r.Ready || r.Summary.IngressNginx != 1 || len(r.Controllers) != 0 || r.Kind != "AuditReport" {
		t.Fatalf("exit %d %+v %s", code, r, s.ErrOut.String())
	}
	clitest.CheckReport(t, "audit", s.Out.Bytes())

	code, s = runAudit(t, auditCluster(map[string]string{"nginx.ingress.kubernetes.io/server-snippet": "lua_need_request_body on; access_by_lua_block { secret() }"}), "")
	if code != 1 || !strings.Contains(s.Out.String(), "web/shop") || strings.Contains(s.Out.String(), "secret()") {
		t.Fatalf("a snippet: exit %d\n%s", code, s.Out.String())
	}
}

// An audit that cannot read the Ingresses is an error, never an empty pass.
func TestAuditCannotRead(t *testing.T) {
	cs := auditCluster(nil)
	cs.PrependReactor("list", "ingresses", func(k8stesting.Action) (bool, runtime.Object, error) {
		return true, nil, apierrors.NewForbidden(schema.GroupResource{Group: "networking.k8s.io", Resource: "ingresses"}, "", errors.New("no"))
	})
	code, s := runAudit(t, cs, "json")
	if code != 1 || s.Out.Len() != 0 || !strings.Contains(s.ErrOut.String(), "forbidden") {
		t.Fatalf("exit %d out %q err %q", code, s.Out.String(), s.ErrOut.String())
	}
}
