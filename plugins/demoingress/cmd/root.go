// Package cmd holds kubectl-demoingress's commands, one file each.
package cmd

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/osc-coco/kubectl-plugins/lib/cli"
	"github.com/osc-coco/kubectl-plugins/lib/clierr"
	"github.com/osc-coco/kubectl-plugins/lib/kube"
)

// PluginName is how kubectl finds this plugin: kubectl-demoingress.
const PluginName = "demoingress"

// APIVersion of the JSON/YAML output.
const APIVersion = "demoingress.osc-coco.io/v1alpha1"

// NewRoot builds "kubectl demoingress" as kubectl-demoingress runs it: the commands that read or
// drive Helm releases are entries that demoingress-helm runs (helmcmd.NewRoot builds the whole tree).
func NewRoot(streams genericiooptions.IOStreams) *cobra.Command {
	root, _ := NewRootWithGlobals(streams)
	return root
}

// NewRootWithGlobals also returns the shared flags, so tests can wrap clients.
func NewRootWithGlobals(streams genericiooptions.IOStreams) (*cobra.Command, *cli.Globals) {
	root, g := cli.NewRoot(PluginName,
		"Ingress controller with a static IP, the demo app, an end-to-end HTTP check, clean-up",
		`Does the guide's reachability round on a cluster: installs an ingress controller whose Service
gets a (floating) IP, deploys the demo app (namespace demo, deployment and service web, ingress
demo-ip-ingress on /demo, or a Gateway API route), requests http://<address>/demo and says which
hop is missing when it fails, and removes it all again.

Exit codes: 0 ok, 1 failed or not reachable, 2 bad usage, 130 interrupted.`, streams)
	helped := func(name, short string) *cobra.Command { return cli.Helped(Helper, name, short) }
	root.AddCommand(helped("install", InstallShort), helped("audit", AuditShort), helped("migrate", MigrateShort), newDeployCommand(g), newVerifyCommand(g), helped("status", StatusShort), helped("delete", DeleteShort))
	return root, g
}

// CheckNotTerminating fails when the namespace is being deleted: nothing can be created in it.
func CheckNotTerminating(ctx context.Context, c *kube.Clients, ns string) error {
	n, err := c.Kube.CoreV1().Namespaces().Get(ctx, ns, metav1.GetOptions{})
	if apierrors.IsNotFound(err) || apierrors.IsForbidden(err) {
		return nil
	}
	if err != nil {
		return clierr.FromAPI(err, clierr.Action{Verb: "get", Resource: "namespaces", Name: ns})
	}
	if n.Status.Phase == corev1.NamespaceTerminating || n.DeletionTimestamp != nil {
		since := ""
		if n.DeletionTimestamp != nil {
			since = fmt.Sprintf(" (since %s ago)", time.Since(n.DeletionTimestamp.Time).Round(time.Second))
		}
		return clierr.Failf(fmt.Sprintf("wait until it is gone (kubectl wait --for=delete namespace/%s --timeout 5m), then run this again; if it stays, something blocks its finalizers: kubectl get namespace %s -o yaml", ns, ns),
			"namespace %s is being deleted%s: nothing can be created in it", ns, since)
	}
	return nil
}
