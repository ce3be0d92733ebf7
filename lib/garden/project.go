package garden

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	gardencorev1beta1 "github.com/gardener/gardener/pkg/apis/core/v1beta1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/osc-coco/kubectl-plugins/lib/clierr"
	"github.com/osc-coco/kubectl-plugins/lib/names"
)

// Project is a resolved Gardener project.
type Project struct {
	Name, Namespace string
}

// Project finds the project: the named one, else the one whose namespace -n or the kubeconfig's
// context names (a project's namespace: garden-NAME, or garden for the operators'), else the
// only project the user can see.
func (c *Conn) Project(ctx context.Context, name string) (Project, error) {
	if name != "" {
		return c.namedProject(ctx, name)
	}
	if c.Namespace == "garden" || strings.HasPrefix(c.Namespace, "garden-") {
		return c.namespaceProject(ctx)
	}
	list, err := c.Core.CoreV1beta1().Projects().List(ctx, metav1.ListOptions{})
	if isMissingAPI(err) {
		return Project{}, c.notAGarden()
	}
	if err != nil {
		return Project{}, clierr.Wrap(clierr.FromAPI(err, clierr.Action{Verb: "list", Resource: "projects.core.gardener.cloud"}), "finding your project (pass -p PROJECT)")
	}
	switch len(list.Items) {
	case 0:
		return Project{}, clierr.Failf("ask a project owner to add you, or create a project in the Gardener dashboard", "you are not a member of any Gardener project")
	case 1:
		return ProjectOf(&list.Items[0]), nil
	}
	known := projectNames(list.Items)
	return Project{}, clierr.Usagef("pass -p with one of: "+strings.Join(known, ", "), "you are a member of %d projects and -p does not say which one", len(known))
}

// namespaceProject is the project whose spec.namespace is the context's namespace; when the
// projects cannot be listed, the one its name says (garden-NAME).
func (c *Conn) namespaceProject(ctx context.Context) (Project, error) {
	if list, err := c.Core.CoreV1beta1().Projects().List(ctx, metav1.ListOptions{}); err == nil {
		for i := range list.Items {
			if p := &list.Items[i]; p.Spec.Namespace != nil && *p.Spec.Namespace == c.Namespace {
				return ProjectOf(p), nil
			}
		}
	}
	name := strings.TrimPrefix(c.Namespace, "garden-")
	if p, err := c.Core.CoreV1beta1().Projects().Get(ctx, name, metav1.GetOptions{}); err == nil && p.Spec.Namespace != nil && *p.Spec.Namespace == c.Namespace {
		return ProjectOf(p), nil
	}
	return Project{Name: name, Namespace: c.Namespace}, nil
}

// namedProject reads -p's project; a wrong name gets the user's projects and a suggestion.
func (c *Conn) namedProject(ctx context.Context, name string) (Project, error) {
	if err := names.Label("project (-p)", name); err != nil {
		return Project{}, err
	}
	projects := c.Core.CoreV1beta1().Projects()
	p, err := projects.Get(ctx, name, metav1.GetOptions{})
	switch {
	case err == nil && (p.Spec.Namespace == nil || *p.Spec.Namespace == ""):
		return Project{}, clierr.Failf("wait until Gardener has set the project up (kubectl get project "+name+" on the garden shows its namespace)",
			"project %s has no namespace yet, so it holds no shoots", name)
	case err == nil:
		return ProjectOf(p), nil
	case isMissingAPI(err):
		return Project{}, c.notAGarden()
	case !apierrors.IsNotFound(err):
		return Project{}, clierr.FromAPI(err, clierr.Action{Verb: "get", Resource: "projects.core.gardener.cloud", Name: name})
	}
	msg := fmt.Sprintf("project %q does not exist", name)
	fix := "list your projects: kubectl get projects (on the garden), or see the Gardener dashboard"
	if list, lerr := projects.List(ctx, metav1.ListOptions{}); lerr == nil {
		known := projectNames(list.Items)
		if s := names.Suggest(name, known, 3); len(s) > 0 {
			msg += fmt.Sprintf("; did you mean %q?", s[0])
		}
		if len(known) > 0 {
			fix = "your projects: " + strings.Join(known, ", ")
		}
	}
	return Project{}, clierr.Usagef(fix, "%s", msg)
}

func projectNames(items []gardencorev1beta1.Project) []string {
	known := make([]string, 0, len(items))
	for _, p := range items {
		known = append(known, p.Name)
	}
	slices.Sort(known)
	return known
}

// ProjectOf is a project with its namespace (garden-NAME unless the project known another).
func ProjectOf(p *gardencorev1beta1.Project) Project {
	ns := "garden-" + p.Name
	if p.Spec.Namespace != nil && *p.Spec.Namespace != "" {
		ns = *p.Spec.Namespace
	}
	return Project{Name: p.Name, Namespace: ns}
}

// isMissingAPI is the 404 for a resource type the server does not serve (as opposed to a
// missing object, whose error known it).
func isMissingAPI(err error) bool {
	var se apierrors.APIStatus
	if !apierrors.IsNotFound(err) || !errors.As(err, &se) {
		return false
	}
	st := se.Status()
	return strings.Contains(st.Message, "the server could not find the requested resource") || st.Details == nil || st.Details.Name == ""
}

func (c *Conn) notAGarden() error {
	host := "the cluster"
	if c.Config != nil {
		host = c.Config.Host
	}
	return clierr.Failf("point the garden config at the garden kubeconfig from the dashboard (My Account > Access), not at a shoot's: kubectl shoot config set-garden <identity> --kubeconfig <path>",
		"the cluster at %s is not a Gardener garden (it serves no core.gardener.cloud API)", host)
}
