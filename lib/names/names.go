// Package names checks the names a command will send to the API or wait on, before it sends or
// waits: a name the API would refuse is a usage error on input (exit 2); an object that does
// not exist is an error that names it, and what exists that it may have meant (exit 1: the
// API had to be asked). A read that is forbidden or fails does not decide: the command goes on
// and meets the API's own answer.
package names

import (
	"context"
	"fmt"
	"sort"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/client-go/kubernetes"

	"github.com/osc-coco/kubectl-plugins/lib/clierr"
)

// Subdomain refuses what the API refuses as the name of most objects (nodes, runtime classes,
// Secrets, pods): a DNS-1123 subdomain. what says where it came from ("--node", "node name").
func Subdomain(what, name string) error {
	if errs := validation.IsDNS1123Subdomain(name); len(errs) > 0 {
		return clierr.Usagef("use lower-case letters, digits, '-' and '.', at most 253", "%s %q is not a valid name: %s", what, name, strings.Join(errs, "; "))
	}
	return nil
}

// Label refuses what the API refuses as a namespace's name: a DNS-1123 label.
func Label(what, name string) error {
	if errs := validation.IsDNS1123Label(name); len(errs) > 0 {
		return clierr.Usagef("use lower-case letters, digits and '-', at most 63", "%s %q is not a valid name: %s", what, name, strings.Join(errs, "; "))
	}
	return nil
}

// Node checks that the node exists.
func Node(ctx context.Context, cs kubernetes.Interface, name string) error {
	_, err := cs.CoreV1().Nodes().Get(ctx, name, metav1.GetOptions{})
	if !apierrors.IsNotFound(err) {
		return nil
	}
	return NodeMissing(ctx, cs, name)
}

// NodeMissing is the error for a node the API said does not exist, with the nodes it may have
// meant.
func NodeMissing(ctx context.Context, cs kubernetes.Interface, name string) error {
	var known []string
	if l, lerr := cs.CoreV1().Nodes().List(ctx, metav1.ListOptions{}); lerr == nil {
		for _, n := range l.Items {
			known = append(known, n.Name)
		}
	}
	return NotFound("node", name, known, "kubectl get nodes")
}

// Namespace checks that the namespace exists (a namespace that does not is named as such, not
// as the object that was not found in it).
func Namespace(ctx context.Context, cs kubernetes.Interface, ns string) error {
	if err := Label("namespace", ns); err != nil {
		return err
	}
	_, err := cs.CoreV1().Namespaces().Get(ctx, ns, metav1.GetOptions{})
	if !apierrors.IsNotFound(err) {
		return nil
	}
	var known []string
	if l, lerr := cs.CoreV1().Namespaces().List(ctx, metav1.ListOptions{}); lerr == nil {
		for _, n := range l.Items {
			known = append(known, n.Name)
		}
	}
	return NotFound("namespace", ns, known, "kubectl create namespace "+ns+", or -n with one that exists (kubectl get namespaces)")
}

// RuntimeClass checks that the runtime class exists.
func RuntimeClass(ctx context.Context, cs kubernetes.Interface, name string) error {
	_, err := cs.NodeV1().RuntimeClasses().Get(ctx, name, metav1.GetOptions{})
	if !apierrors.IsNotFound(err) {
		return nil
	}
	var known []string
	if l, lerr := cs.NodeV1().RuntimeClasses().List(ctx, metav1.ListOptions{}); lerr == nil {
		for _, rc := range l.Items {
			known = append(known, rc.Name)
		}
	}
	return NotFound("runtime class", name, known, "kubectl coco runtimeclasses lists them; kubectl coco install installs CoCo's")
}

// NotFound is the error for a kind's name that does not exist: what exists that is close to it,
// and the way to list them.
func NotFound(kind, name string, known []string, list string) error {
	msg := fmt.Sprintf("%s %q does not exist", kind, name)
	if s := Suggest(name, known, 1); len(s) > 0 {
		msg += fmt.Sprintf("; did you mean %q?", s[0])
	}
	fix := list
	if len(known) > 0 && len(known) <= 12 {
		sort.Strings(known)
		fix = kind + "s: " + strings.Join(known, ", ")
	}
	return clierr.Failf(fix, "%s", msg)
}
