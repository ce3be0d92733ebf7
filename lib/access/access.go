// Package access asks the API server, before a command changes anything, whether the user may
// do what the command is about to do (SelfSubjectAccessReview), and names what is missing.
package access

import (
	"context"
	"fmt"
	"strings"

	authorizationv1 "k8s.io/api/authorization/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/osc-coco/kubectl-plugins/lib/clierr"
)

// Request is one verb on one resource.
type Request struct {
	Verb        string
	Group       string
	Resource    string
	Subresource string
	Namespace   string
}

func (r Request) String() string {
	res := r.Resource
	if r.Subresource != "" {
		res += "/" + r.Subresource
	}
	if r.Group != "" {
		res += "." + r.Group
	}
	where := "at cluster scope"
	if r.Namespace != "" {
		where = fmt.Sprintf("in namespace %q", r.Namespace)
	}
	return fmt.Sprintf("%s %s %s", r.Verb, res, where)
}

// Check asks for every request and fails, naming each denied one, if any is denied.
func Check(ctx context.Context, cs kubernetes.Interface, reqs ...Request) error {
	var denied []string
	for _, r := range reqs {
		review := &authorizationv1.SelfSubjectAccessReview{Spec: authorizationv1.SelfSubjectAccessReviewSpec{
			ResourceAttributes: &authorizationv1.ResourceAttributes{Verb: r.Verb, Group: r.Group, Resource: r.Resource,
				Subresource: r.Subresource, Namespace: r.Namespace}}}
		res, err := cs.AuthorizationV1().SelfSubjectAccessReviews().Create(ctx, review, metav1.CreateOptions{})
		if err != nil {
			return clierr.FromAPI(err, clierr.Action{Verb: "create", Resource: "selfsubjectaccessreviews.authorization.k8s.io"})
		}
		if !res.Status.Allowed {
			denied = append(denied, r.String())
		}
	}
	if len(denied) == 0 {
		return nil
	}
	return &clierr.Error{Code: clierr.CodeFailure,
		Msg: "you are not allowed to " + strings.Join(denied, "; "),
		Fix: "ask a cluster admin for a Role/ClusterRole granting exactly that, bound to your user (kubectl auth can-i shows what you may do)"}
}
