package harness

import (
	"bytes"
	"context"

	"github.com/spf13/cobra"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/osc-coco/kubectl-plugins/lib/cli"
)

// Result is what a plugin command printed and its exit code.
type Result struct {
	Stdout, Stderr string
	Code           int
}

// Run executes a plugin's root command in-process, as "kubectl <plugin> ARGS" with
// --kubeconfig when kubeconfig is set, and returns its output and exit code.
func Run(ctx context.Context, newRoot func(genericiooptions.IOStreams) *cobra.Command, kubeconfig string, args ...string) Result {
	if kubeconfig != "" {
		args = append([]string{"--kubeconfig", kubeconfig}, args...)
	}
	return RunStdin(ctx, newRoot, "", args...)
}

// Grant binds a user to a new ClusterRole with exactly these rules and returns a kubeconfig
// for the user (RBAC tests).
func (cp *ControlPlane) Grant(user string, rules ...rbacv1.PolicyRule) (string, error) {
	ctx := context.Background()
	name := "test-" + user
	if _, err := cp.Admin.RbacV1().ClusterRoles().Create(ctx, &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: name}, Rules: rules}, metav1.CreateOptions{}); err != nil {
		return "", err
	}
	if _, err := cp.Admin.RbacV1().ClusterRoleBindings().Create(ctx, &rbacv1.ClusterRoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: name},
		Subjects:   []rbacv1.Subject{{Kind: rbacv1.UserKind, APIGroup: rbacv1.GroupName, Name: user}},
	}, metav1.CreateOptions{}); err != nil {
		return "", err
	}
	return cp.UserKubeconfig(user)
}

// RunStdin is Run with text on stdin (confirmation prompts).
func RunStdin(ctx context.Context, newRoot func(genericiooptions.IOStreams) *cobra.Command, stdin string, args ...string) Result {
	var out, errOut bytes.Buffer
	streams := genericiooptions.IOStreams{In: bytes.NewBufferString(stdin), Out: &out, ErrOut: &errOut}
	root := newRoot(streams)
	root.SetArgs(args)
	code := cli.ExecuteContext(ctx, root, streams)
	return Result{Stdout: out.String(), Stderr: errOut.String(), Code: code}
}
