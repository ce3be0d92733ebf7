// Package hops judges each hop between a user's request and the demo pods: the route's address,
// the deployment, the service's endpoints, and the HTTP answer; for a failed hop it says why.
package hops

import (
	"fmt"
	"net"
	"slices"
	"sort"
	"strconv"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"

	"github.com/osc-coco/kubectl-plugins/lib/report"
	"github.com/osc-coco/kubectl-plugins/plugins/demoingress/httpcheck"
)

// Hop is one step of the report.
type Hop struct {
	Name   string        `json:"name"`
	Status report.Status `json:"status"` // pass or fail
	Detail string        `json:"detail"`
	Fix    string        `json:"fix,omitempty"`
}

// Passed says whether the hop holds.
func (h Hop) Passed() bool { return h.Status == report.Pass }

// Route judges the route's address; why is what the route's status says about it, if anything.
func Route(kind, ns, name, addr string, exists bool, why string) Hop {
	h := Hop{Name: RouteHopName, Status: report.Fail}
	switch {
	case !exists:
		h.Detail, h.Fix = fmt.Sprintf("%s %s/%s does not exist", kind, ns, name), "kubectl demoingress deploy"
	case addr == "" && kind == "gateway":
		h.Detail = fmt.Sprintf("gateway %s/%s has no address yet", ns, name)
		if why != "" {
			h.Detail += " (" + why + ")"
		}
		h.Fix = fmt.Sprintf("a Gateway controller accepts the Gateway and publishes its address: is one installed for its class (kubectl get gatewayclass)? kubectl -n %s describe gateway %s", ns, name)
	case addr == "":
		h.Detail = fmt.Sprintf("%s %s/%s has no address yet", kind, ns, name)
		h.Fix = "the ingress controller publishes its load balancer's address: check kubectl demoingress status (is the controller installed, does its Service have an external IP?)"
	default:
		h.Status, h.Detail = report.Pass, fmt.Sprintf("%s %s/%s has address %s", kind, ns, name, addr)
	}
	return h
}

// Deployment judges the demo deployment from its status and its pods.
func Deployment(d *appsv1.Deployment, pods []corev1.Pod) Hop {
	h := Hop{Name: DeploymentHopName, Status: report.Fail}
	if d == nil {
		h.Detail, h.Fix = "deployment web does not exist", "kubectl demoingress deploy"
		return h
	}
	want := int32(1)
	if d.Spec.Replicas != nil {
		want = *d.Spec.Replicas
	}
	if d.Status.AvailableReplicas >= 1 {
		h.Status, h.Detail = report.Pass, fmt.Sprintf("deployment %s/%s: %d/%d available", d.Namespace, d.Name, d.Status.AvailableReplicas, want)
		// Old pods still serve while a new version fails to roll out: say so.
		if problems := PodProblems(pods); len(problems) > 0 {
			note := "; some pods are not ready: "
			if d.Status.Replicas > d.Status.AvailableReplicas {
				note = "; the rollout of the new version is stuck: "
			}
			h.Detail += note + strings.Join(problems, "; ")
		}
		return h
	}
	h.Detail = fmt.Sprintf("deployment %s/%s: 0/%d available", d.Namespace, d.Name, want)
	problems := PodProblems(pods)
	switch {
	case len(pods) == 0:
		h.Detail += "; it has no pods"
		h.Fix = "the controller manager makes the pods: kubectl -n " + d.Namespace + " describe deployment " + d.Name + " (quota, Pod Security, ReplicaSet events)"
		for _, c := range d.Status.Conditions {
			if c.Type == appsv1.DeploymentReplicaFailure && c.Status == corev1.ConditionTrue {
				h.Detail += ": " + c.Message
			}
		}
	case len(problems) > 0:
		h.Detail += "; " + strings.Join(problems, "; ")
		h.Fix = "kubectl -n " + d.Namespace + " describe pods -l app.kubernetes.io/name=web; kubectl -n " + d.Namespace + " logs deploy/web --previous"
	default:
		h.Detail += "; pods are starting"
	}
	return h
}

// PodProblems says, per pod, why it is not ready.
func PodProblems(pods []corev1.Pod) []string {
	var out []string
	pods = slices.Clone(pods) // sorted for a stable report, without reordering the caller's slice
	sort.Slice(pods, func(i, j int) bool { return pods[i].Name < pods[j].Name })
	for _, p := range pods {
		if ready(p) {
			continue
		}
		var why []string
		for _, c := range p.Status.Conditions {
			if c.Type == corev1.PodScheduled && c.Status == corev1.ConditionFalse {
				why = append(why, "not scheduled: "+firstNonEmpty(c.Message, c.Reason))
			}
		}
		for _, cs := range p.Status.ContainerStatuses {
			if w := cs.State.Waiting; w != nil && w.Reason != "" && w.Reason != "ContainerCreating" {
				s := w.Reason
				if w.Message != "" {
					s += " (" + firstLine(w.Message) + ")"
				}
				why = append(why, s)
			}
			if t := cs.LastTerminationState.Terminated; t != nil {
				why = append(why, fmt.Sprintf("last exit code %d (%s), restarted %d times", t.ExitCode, firstNonEmpty(t.Reason, "Error"), cs.RestartCount))
			} else if t := cs.State.Terminated; t != nil {
				why = append(why, fmt.Sprintf("exited with code %d (%s)", t.ExitCode, firstNonEmpty(t.Reason, "Error")))
			}
			if cs.State.Running != nil && !cs.Ready {
				why = append(why, "running but not ready (readiness probe failing)")
			}
		}
		if len(why) == 0 {
			why = append(why, string(p.Status.Phase))
		}
		out = append(out, fmt.Sprintf("pod %s: %s", p.Name, strings.Join(why, ", ")))
	}
	return out
}

func ready(p corev1.Pod) bool {
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

// Endpoints judges the service's ready endpoints.
func Endpoints(service string, slices []discoveryv1.EndpointSlice) Hop {
	h := Hop{Name: "endpoints", Status: report.Fail}
	n := 0
	for _, s := range slices {
		for _, e := range s.Endpoints {
			if e.Conditions.Ready == nil || *e.Conditions.Ready {
				n++
			}
		}
	}
	if n == 0 {
		h.Detail = fmt.Sprintf("service %s has no ready endpoint", service)
		h.Fix = "the service selects no ready pod: compare its selector with the pod labels (kubectl -n demo get endpointslices,pods --show-labels)"
		return h
	}
	h.Status, h.Detail = report.Pass, fmt.Sprintf("service %s has %d ready endpoint(s)", service, n)
	return h
}

// HTTP judges the answer.
func HTTP(r httpcheck.Result) Hop {
	h := Hop{Name: "http", Status: report.Pass, Detail: "GET " + r.URL + ": " + httpcheck.Explain(r)}
	if r.Kind != httpcheck.OK {
		h.Status = report.Fail
		h.Fix = "curl -v " + r.URL + " shows the same; kubectl demoingress status shows the controller and its address"
	}
	return h
}

func firstNonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	if len(s) > 160 {
		s = s[:159] + "…"
	}
	return s
}

// Names of the hops the request depends on.
const (
	RouteHopName      = "route"
	DeploymentHopName = "deployment"
)

// ReadyForRequest tells whether the HTTP request is worth making: the route has an address and
// the deployment is available (a missing endpoint is reported, but the request still shows
// what the user would see).
func ReadyForRequest(hops []Hop) bool {
	ok := map[string]bool{}
	for _, h := range hops {
		ok[h.Name] = h.Passed()
	}
	return ok[RouteHopName] && ok[DeploymentHopName]
}

// URL is the address verify requests: the path given, else the route's; the port left out when
// it is 80; an IPv6 address in brackets.
func URL(addr string, port int, path, routePath string) string {
	if path == "" {
		path = routePath
	}
	if port == 80 {
		if ip := net.ParseIP(addr); ip != nil && ip.To4() == nil {
			addr = "[" + addr + "]"
		}
		return "http://" + addr + path
	}
	return "http://" + net.JoinHostPort(addr, strconv.Itoa(port)) + path
}
