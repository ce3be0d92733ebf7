// Package migration decides how kubectl demoingress migrate moves Ingresses of class nginx from
// ingress-nginx to Traefik: which requests prove the new controller answers as the old one does,
// and what to print for a rollback. It does not talk to a cluster.
package migration

import (
	"fmt"
	"sort"
	"strings"

	networkingv1 "k8s.io/api/networking/v1"

	"github.com/osc-coco/kubectl-plugins/lib/report"
	"github.com/osc-coco/kubectl-plugins/plugins/demoingress/audit"
	"github.com/osc-coco/kubectl-plugins/plugins/demoingress/httpcheck"
)

// Target is one request that should get the same answer through both controllers.
type Target struct {
	Ingress string `json:"ingress"` // namespace/name
	Host    string `json:"host,omitempty"`
	Path    string `json:"path"`
	// Skip says why this rule cannot be probed from here ("" when it can).
	Skip string `json:"skip,omitempty"`
}

// Targets lists a request per host and path of every Ingress ingress-nginx serves.
func Targets(items []audit.Ingress, ings []networkingv1.Ingress) []Target {
	served := map[string]bool{}
	for _, it := range items {
		if it.IngressNginx {
			served[it.Namespace+"/"+it.Name] = true
		}
	}
	var out []Target
	for _, ing := range ings {
		key := ing.Namespace + "/" + ing.Name
		if !served[key] {
			continue
		}
		regex := ing.Annotations["nginx.ingress.kubernetes.io/use-regex"] == "true"
		for _, rule := range ing.Spec.Rules {
			if rule.HTTP == nil {
				continue
			}
			for _, p := range rule.HTTP.Paths {
				t := Target{Ingress: key, Host: rule.Host, Path: p.Path}
				switch {
				case strings.HasPrefix(rule.Host, "*."):
					t.Skip = "wildcard host: no single name to send"
				case regex || (p.PathType != nil && *p.PathType == networkingv1.PathTypeImplementationSpecific && strings.ContainsAny(p.Path, "()[]*+?$^|\\")):
					t.Skip = "regular-expression path: no single request stands for it"
				case t.Path == "":
					t.Path = "/"
				}
				out = append(out, t)
			}
		}
	}
	sort.SliceStable(out, func(a, b int) bool {
		return out[a].Ingress+out[a].Host+out[a].Path < out[b].Ingress+out[b].Host+out[b].Path
	})
	return out
}

// Probe is a target's answers through the old and the new controller.
type Probe struct {
	Target
	Name   string        `json:"name"`
	Status report.Status `json:"status"`
	Old    string        `json:"old,omitempty"`
	New    string        `json:"new,omitempty"`
	Detail string        `json:"detail"`
}

// Compare judges a target's two answers: the new controller must answer, and as the old one
// does (same status code); when the old one cannot be reached from here, any HTTP answer from
// the new one is a warn (nothing to compare with).
func Compare(t Target, old, new *httpcheck.Result) Probe {
	p := Probe{Target: t, Name: strings.TrimSpace(t.Ingress + " " + t.Host + t.Path)}
	if t.Skip != "" {
		p.Status, p.Detail = report.Skip, t.Skip
		return p
	}
	p.New = answer(new)
	if old != nil {
		p.Old = answer(old)
	}
	switch {
	case new.Status == 0:
		p.Status, p.Detail = report.Fail, "the new controller does not answer: "+httpcheck.Explain(*new)
	case old == nil || old.Status == 0:
		p.Status, p.Detail = report.Warn, fmt.Sprintf("the new controller answers HTTP %d; the old one could not be asked from here", new.Status)
	case old.Status != new.Status:
		p.Status, p.Detail = report.Fail, fmt.Sprintf("the old controller answers HTTP %d, the new one HTTP %d", old.Status, new.Status)
	case old.Location != new.Location: // app-root, rewrites, www redirects differ here, not in the code
		p.Status, p.Detail = report.Fail, fmt.Sprintf("both answer HTTP %d, but redirect to %q and %q", new.Status, old.Location, new.Location)
	default:
		p.Status, p.Detail = report.Pass, fmt.Sprintf("both answer HTTP %d", new.Status)
	}
	return p
}

func answer(r *httpcheck.Result) string {
	if r.Status != 0 {
		return fmt.Sprintf("HTTP %d", r.Status)
	}
	return r.Kind
}

// Failed tells whether any probe failed.
func Failed(ps []Probe) bool {
	for _, p := range ps {
		if p.Status == report.Fail {
			return true
		}
	}
	return false
}

// Rollback is what a user runs to go back to ingress-nginx on the same floating IP after a
// finished migration (the IP stays allocated: the new Service carries keep-floatingip; --wait,
// so that the old load balancer has let the IP go before the new one asks for it).
func Rollback(ip string) []string {
	return []string{
		"kubectl demoingress delete --controller=traefik --wait   # also removes the demo app; the floating IP " + ip + " stays in your project (keep-floatingip)",
		"kubectl demoingress install --controller ingress-nginx --load-balancer-ip " + ip + " --keep-floating-ip",
	}
}
