package hops

import (
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/osc-coco/kubectl-plugins/lib/report"
	"github.com/osc-coco/kubectl-plugins/plugins/demoingress/httpcheck"
)

func TestDeploymentHop(t *testing.T) {
	d := &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "demo"}, Spec: appsv1.DeploymentSpec{Replicas: ptr.To[int32](2)}}
	crash := corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "web-1"}, Status: corev1.PodStatus{Phase: corev1.PodRunning,
		Conditions: []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionFalse}},
		ContainerStatuses: []corev1.ContainerStatus{{RestartCount: 4,
			State:                corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "CrashLoopBackOff", Message: "back-off 40s restarting failed container"}},
			LastTerminationState: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ExitCode: 1, Reason: "Error"}}}}}}
	pull := corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "web-2"}, Status: corev1.PodStatus{Phase: corev1.PodPending,
		ContainerStatuses: []corev1.ContainerStatus{{State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "ImagePullBackOff", Message: "pull access denied"}}}}}}
	unsched := corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "web-3"}, Status: corev1.PodStatus{Phase: corev1.PodPending,
		Conditions: []corev1.PodCondition{{Type: corev1.PodScheduled, Status: corev1.ConditionFalse, Message: "0/3 nodes are available: 3 Insufficient cpu."}}}}
	h := Deployment(d, []corev1.Pod{unsched, pull, crash})
	for _, want := range []string{"0/2 available", "pod web-1: CrashLoopBackOff (back-off 40s restarting failed container), last exit code 1 (Error), restarted 4 times",
		"pod web-2: ImagePullBackOff (pull access denied)", "pod web-3: not scheduled: 0/3 nodes are available: 3 Insufficient cpu."} {
		if h.Passed() || !strings.Contains(h.Detail, want) {
			t.Errorf("missing %q in %q", want, h.Detail)
		}
	}
	d.Status.AvailableReplicas = 2
	if h := Deployment(d, nil); !h.Passed() || !strings.Contains(h.Detail, "2/2 available") {
		t.Fatal(h)
	}
	if h := Deployment(nil, nil); h.Passed() || h.Fix != "kubectl demoingress deploy" {
		t.Fatal(h)
	}
}

func TestEndpointsRouteHTTP(t *testing.T) {
	if h := Endpoints("web", nil); h.Passed() {
		t.Fatal(h)
	}
	s := discoveryv1.EndpointSlice{Endpoints: []discoveryv1.Endpoint{{Conditions: discoveryv1.EndpointConditions{Ready: ptr.To(true)}}, {Conditions: discoveryv1.EndpointConditions{Ready: ptr.To(false)}}}}
	if h := Endpoints("web", []discoveryv1.EndpointSlice{s}); !h.Passed() || !strings.Contains(h.Detail, "1 ready") {
		t.Fatal(h)
	}
	if h := Route("gateway", "demo", "demo-gateway", "", true, "Accepted=Unknown Pending: Waiting for controller"); h.Passed() ||
		!strings.Contains(h.Detail, "(Accepted=Unknown Pending: Waiting for controller)") || !strings.Contains(h.Fix, "Gateway controller") || strings.Contains(h.Fix, "ingress controller") {
		t.Errorf("gateway without address: %+v", h)
	}
	if h := Route("ingress", "demo", "demo-ip-ingress", "", true, ""); h.Passed() || !strings.Contains(h.Detail, "no address yet") {
		t.Fatal(h)
	}
	if h := HTTP(httpcheck.Result{URL: "http://x/demo", Kind: httpcheck.HTTPError, Status: 404, Attempts: 3}); h.Passed() || !strings.Contains(h.Detail, "HTTP 404") {
		t.Fatal(h)
	}
}

func TestURLAndReadiness(t *testing.T) {
	for _, tc := range []struct {
		addr       string
		port       int
		path, rpth string
		want       string
	}{
		{"203.0.113.7", 80, "", "/", "http://203.0.113.7/"},
		{"203.0.113.7", 8080, "/x", "/", "http://203.0.113.7:8080/x"},
		{"2001:db8::7", 80, "", "/demo", "http://[2001:db8::7]/demo"},
		{"2001:db8::7", 8080, "", "/", "http://[2001:db8::7]:8080/"},
		{"lb.osc.test", 80, "", "/", "http://lb.osc.test/"},
	} {
		if got := URL(tc.addr, tc.port, tc.path, tc.rpth); got != tc.want {
			t.Errorf("%+v: %s", tc, got)
		}
	}
	route, dep := Hop{Name: RouteHopName, Status: report.Pass}, Hop{Name: DeploymentHopName, Status: report.Pass}
	if !ReadyForRequest([]Hop{route, dep, {Name: "endpoints"}}) {
		t.Fatal("missing endpoints stop the request")
	}
	if ReadyForRequest([]Hop{route, {Name: DeploymentHopName}}) || ReadyForRequest([]Hop{dep}) {
		t.Fatal("a request without an address or an available deployment")
	}
}
