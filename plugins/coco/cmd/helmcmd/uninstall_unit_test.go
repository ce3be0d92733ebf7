package helmcmd

import (
	"strings"
	"testing"
	"time"

	authorizationv1 "k8s.io/api/authorization/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"

	rcommon "helm.sh/helm/v4/pkg/release/common"

	"github.com/osc-coco/kubectl-plugins/lib/cli"
	"github.com/osc-coco/kubectl-plugins/lib/cli/clitest"
	"github.com/osc-coco/kubectl-plugins/lib/helmrelease/helmtest"
	"github.com/osc-coco/kubectl-plugins/lib/kube"
	"github.com/osc-coco/kubectl-plugins/plugins/coco/chartvalues"
	"github.com/osc-coco/kubectl-plugins/plugins/coco/cmd"
	"github.com/osc-coco/kubectl-plugins/plugins/coco/cmd/cmdtest"
)

// Uninstall on fakes: Helm's real uninstall action on its memory store (its printing fake
// deletes nothing in the cluster, so the fake cluster starts as Helm would leave it: no
// runtime class, nodes cleaned); test/cocoinstall uninstalls real releases.
func TestUninstallOnFakes(t *testing.T) {
	tests := []struct {
		name    string
		dryRun  cli.DryRun
		allow   bool
		code    int
		out     string
		gone    bool // the release and the namespace are gone
		errPart string
	}{
		{name: "uninstalls", allow: true, code: 0, gone: true,
			out: "CoCo uninstalled: release coco removed, runtime classes gone, nodes cleaned, namespace coco-system deleted"},
		{name: "dry run changes nothing", dryRun: cli.DryRunClient, allow: true, code: 0,
			out: "would uninstall release coco (chart 0.16.0) from coco-system, removing runtime classes kata-qemu-snp, then delete namespace coco-system"},
		{name: "refused before anything changes", allow: false, code: 1, errPart: "uninstalling CoCo needs these permissions"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cs := fake.NewClientset(cmdtest.Node("w1", nil), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: chartvalues.Namespace}})
			cs.PrependReactor("create", "selfsubjectaccessreviews", func(a k8stesting.Action) (bool, runtime.Object, error) {
				r := a.(k8stesting.CreateAction).GetObject().(*authorizationv1.SelfSubjectAccessReview)
				r.Status.Allowed = tt.allow
				return true, r, nil
			})
			hc, err := helmtest.MemoryClient(chartvalues.Namespace, cocoRelease(rcommon.StatusDeployed))
			if err != nil {
				t.Fatal(err)
			}
			var s clitest.Streams
			o := &UninstallOptions{g: clitest.Globals(cmd.PluginName, &s), clients: &kube.Clients{Kube: cs}, releases: hc, DryRun: tt.dryRun, Timeout: time.Minute}
			code := clitest.Run(o, &s)
			if code != tt.code || !strings.Contains(s.Out.String(), tt.out) || !strings.Contains(s.ErrOut.String(), tt.errPart) {
				t.Fatalf("exit %d (want %d)\n%s\n%s", code, tt.code, s.Out.String(), s.ErrOut.String())
			}
			rel, err := hc.Get(t.Context(), chartvalues.ReleaseName)
			_, nsErr := cs.CoreV1().Namespaces().Get(t.Context(), chartvalues.Namespace, metav1.GetOptions{})
			if err != nil || (rel == nil) != tt.gone || apierrors.IsNotFound(nsErr) != tt.gone {
				t.Fatalf("release %v (%v), namespace: %v; want gone=%v", rel, err, nsErr, tt.gone)
			}
			if tt.gone { // a second run finds nothing to do
				s = clitest.Streams{}
				o = &UninstallOptions{g: clitest.Globals(cmd.PluginName, &s), clients: &kube.Clients{Kube: cs, Dynamic: ccRuntimes()}, releases: hc, Timeout: time.Minute}
				if code := clitest.Run(o, &s); code != 0 || !strings.Contains(s.Out.String(), "not installed") {
					t.Fatalf("rerun: exit %d\n%s\n%s", code, s.Out.String(), s.ErrOut.String())
				}
			}
		})
	}
}
