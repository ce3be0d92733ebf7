package clierr

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

func TestExitCode(t *testing.T) {
	tests := []struct {
		err  error
		want int
	}{
		{nil, 0},
		{errors.New("boom"), 1},
		{Usagef("fix", "bad flag"), 2},
		{fmt.Errorf("wrapped: %w", Usagef("", "bad")), 2},
		{Wrap(Usagef("", "bad"), "loading"), 2},
		{ErrInterrupted, 130},
		{&Silent{Code: 1}, 1},
		{FromAPI(context.Canceled, Action{Verb: "get"}), 130},
	}
	for _, tt := range tests {
		if got := ExitCode(tt.err); got != tt.want {
			t.Errorf("ExitCode(%v) = %d, want %d", tt.err, got, tt.want)
		}
	}
}

func TestFromAPI(t *testing.T) {
	nodes := schema.GroupResource{Resource: "nodes"}
	tests := []struct {
		name   string
		err    error
		action Action
		msg    string
		fix    string
	}{
		{"forbidden names verb and resource", apierrors.NewForbidden(nodes, "", errors.New(`User "viewer" cannot list resource "nodes"`)),
			Action{Verb: "list", Resource: "nodes"}, "not allowed to list nodes at cluster scope", `grant verb "list" on resource "nodes"`},
		{"forbidden in namespace", apierrors.NewForbidden(schema.GroupResource{Resource: "pods"}, "", errors.New("no")),
			Action{Verb: "create", Resource: "pods", Namespace: "probe"}, `not allowed to create pods in namespace "probe"`, `verb "create"`},
		// The namespace lifecycle plugin's 403 for a terminating namespace is not a permission.
		{"namespace being deleted", terminating(), Action{Verb: "create", Resource: "secrets", Namespace: "trustee"},
			"namespace trustee is being deleted", "kubectl wait --for=delete namespace/trustee"},
		{"not found names the object", apierrors.NewNotFound(nodes, "node-9"), Action{Verb: "get", Resource: "nodes", Name: "node-9"},
			`node "node-9" not found`, "kubectl get nodes"},
		{"unauthorized", apierrors.NewUnauthorized("expired"), Action{Verb: "list", Resource: "nodes"}, "rejected your credentials", "log in again"},
		{"connection refused", &net.OpError{Op: "dial", Err: errors.New("connection refused")}, Action{Verb: "list", Resource: "nodes"},
			"cannot reach the Kubernetes API server", "--context"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := FromAPI(tt.err, tt.action)
			var buf bytes.Buffer
			Print(&buf, err)
			out := buf.String()
			if !strings.Contains(out, tt.msg) || !strings.Contains(out, tt.fix) {
				t.Errorf("output %q lacks %q or %q", out, tt.msg, tt.fix)
			}
			if ExitCode(err) != CodeFailure {
				t.Errorf("exit code %d", ExitCode(err))
			}
		})
	}
}

func TestPrintSilent(t *testing.T) {
	var buf bytes.Buffer
	Print(&buf, &Silent{Code: 1})
	if buf.Len() != 0 {
		t.Fatalf("printed %q for a silent outcome", buf.String())
	}
}

func TestSingular(t *testing.T) {
	for in, want := range map[string]string{
		"pods": "pod", "nodes": "node", "deployments.apps": "deployment.apps", "ingresses.networking.k8s.io": "ingress.networking.k8s.io",
		"gatewayclasses.gateway.networking.k8s.io": "gatewayclass.gateway.networking.k8s.io", "networkpolicies.networking.k8s.io": "networkpolicy.networking.k8s.io",
		"runtimeclasses.node.k8s.io": "runtimeclass.node.k8s.io", "shoots.core.gardener.cloud": "shoot.core.gardener.cloud",
	} {
		if got := singular(in); got != want {
			t.Errorf("singular(%s) = %s, want %s", in, got, want)
		}
	}
}

// terminating is the error the API server's NamespaceLifecycle admission gives a create in a
// namespace being deleted (k8s.io/apiserver plugin/namespace/lifecycle).
func terminating() error {
	err := apierrors.NewForbidden(schema.GroupResource{Resource: "secrets"}, "x", errors.New("unable to create new content in namespace trustee because it is being terminated"))
	err.ErrStatus.Details.Causes = append(err.ErrStatus.Details.Causes, metav1.StatusCause{Type: corev1.NamespaceTerminatingCause, Message: "namespace trustee is being terminated", Field: "metadata.namespace"})
	return err
}
