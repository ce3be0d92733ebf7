package clierr

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
)

// Action describes the API call that failed, so the message can name it exactly.
type Action struct {
	Verb      string // get, list, create, delete, watch, patch
	Resource  string // plural, with group if not core: "nodes", "runtimeclasses.node.k8s.io"
	Namespace string // "" for cluster scope
	Name      string
}

func (a Action) scope() string {
	if a.Namespace == "" {
		return "at cluster scope"
	}
	return fmt.Sprintf("in namespace %q", a.Namespace)
}

func (a Action) object() string {
	if a.Name == "" {
		return a.Resource
	}
	return fmt.Sprintf("%s %q", singular(a.Resource), a.Name)
}

// singular names one object of a resource as kubectl does: deployment.apps "web",
// ingress.networking.k8s.io "demo", networkpolicy "x" (the group stays as it is).
func singular(resource string) string {
	res, group, grouped := strings.Cut(resource, ".")
	switch {
	case strings.HasSuffix(res, "sses"), strings.HasSuffix(res, "xes"):
		res = strings.TrimSuffix(res, "es")
	case strings.HasSuffix(res, "ies"):
		res = strings.TrimSuffix(res, "ies") + "y"
	default:
		res = strings.TrimSuffix(res, "s")
	}
	if grouped {
		return res + "." + group
	}
	return res
}

// FromAPI explains an error from the Kubernetes API for the user: RBAC denials name the
// missing verb and resource, authentication and connection failures say what to check.
func FromAPI(err error, a Action) error {
	if err == nil {
		return nil
	}
	var explained *Error
	if errors.As(err, &explained) { // already says what happened and what to do
		return err
	}
	switch {
	case errors.Is(err, context.Canceled):
		return ErrInterrupted
	case apierrors.HasStatusCause(err, corev1.NamespaceTerminatingCause):
		// The namespace lifecycle admission plugin answers 403 with this cause: not a permission.
		return &Error{Code: CodeFailure, Err: err, Msg: fmt.Sprintf("cannot %s %s: namespace %s is being deleted", a.Verb, a.object(), a.Namespace),
			Fix: fmt.Sprintf("wait until it is gone (kubectl wait --for=delete namespace/%s), then run again", a.Namespace)}
	case apierrors.IsForbidden(err):
		return &Error{Code: CodeFailure, Err: err,
			Msg: fmt.Sprintf("not allowed to %s %s %s", a.Verb, a.Resource, a.scope()),
			Fix: fmt.Sprintf("ask a cluster admin to grant verb %q on resource %q %s (a Role/ClusterRole and binding for your user)",
				a.Verb, a.Resource, a.scope())}
	case apierrors.IsUnauthorized(err):
		return &Error{Code: CodeFailure, Err: err, Msg: "the API server rejected your credentials (401 Unauthorized)",
			Fix: "log in again or fetch a fresh kubeconfig (for Gardener: kubectl shoot kubeconfig); check --context and --kubeconfig"}
	case apierrors.IsNotFound(err):
		return &Error{Code: CodeFailure, Err: err, Msg: fmt.Sprintf("%s not found %s", a.object(), a.scope()),
			Fix: fmt.Sprintf("check the name: kubectl get %s", listHint(a))}
	case apierrors.IsTimeout(err) || apierrors.IsServerTimeout(err) || errors.Is(err, context.DeadlineExceeded):
		return &Error{Code: CodeFailure, Err: err, Msg: fmt.Sprintf("timed out trying to %s %s", a.Verb, a.object()),
			Fix: "the API server is slow or unreachable: retry, or raise --request-timeout (e.g. --request-timeout 1m)"}
	case strings.Contains(err.Error(), "getting credentials: exec"):
		return &Error{Code: CodeFailure, Err: err, Msg: "the kubeconfig's credential plugin failed",
			Fix: "install the plugin the kubeconfig names under users[].user.exec.command (kubelogin: kubectl krew install oidc-login; gardenlogin: see kubectl shoot doctor), or fix its path"}
	case isConnection(err):
		return &Error{Code: CodeFailure, Err: err, Msg: "cannot reach the Kubernetes API server",
			Fix: "check --context / --kubeconfig, that the cluster is running, and your network or VPN"}
	}
	return &Error{Code: CodeFailure, Err: err, Msg: fmt.Sprintf("cannot %s %s", a.Verb, a.object())}
}

func listHint(a Action) string {
	if a.Namespace == "" {
		return a.Resource
	}
	return a.Resource + " -n " + a.Namespace
}

// IsConnection reports whether err is a failure to reach the server at all (refused, reset,
// DNS, a cut connection), as opposed to an answer from it.
func IsConnection(err error) bool { return isConnection(err) }

func isConnection(err error) bool {
	var opErr *net.OpError
	var dnsErr *net.DNSError
	if errors.As(err, &opErr) || errors.As(err, &dnsErr) {
		return true
	}
	s := err.Error()
	return strings.Contains(s, "connection refused") || strings.Contains(s, "no such host") ||
		strings.Contains(s, "i/o timeout") || strings.Contains(s, "EOF")
}

// CannotTell turns a failed read into the words a verdict must use instead of "fine" or
// "absent": "cannot tell: list pods in namespace "x" forbidden", "... the API server is
// unreachable", or "... <error>".
func CannotTell(err error, a Action) string {
	call := fmt.Sprintf("%s %s %s", a.Verb, a.object(), a.scope())
	switch {
	case apierrors.IsForbidden(err):
		return "cannot tell: " + call + " forbidden"
	case apierrors.IsUnauthorized(err):
		return "cannot tell: " + call + ": credentials rejected (401)"
	case isConnection(err) || errors.Is(err, context.DeadlineExceeded) || apierrors.IsTimeout(err) || apierrors.IsServerTimeout(err):
		return "cannot tell: " + call + ": the API server is unreachable"
	}
	return "cannot tell: " + call + ": " + err.Error()
}
