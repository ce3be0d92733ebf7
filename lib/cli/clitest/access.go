package clitest

import (
	authorizationv1 "k8s.io/api/authorization/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"
)

// AllowAll answers every SelfSubjectAccessReview with allowed: client-go's fake answers them
// with the zero status, denied, which no real cluster says to its admin.
func AllowAll(cs *fake.Clientset) *fake.Clientset { return Deny(cs) }

// Deny answers SelfSubjectAccessReviews for the "verb resource" pairs given (e.g. "patch
// shoots", "create pods/exec") with denied, and every other with allowed.
func Deny(cs *fake.Clientset, denied ...string) *fake.Clientset {
	cs.PrependReactor("create", "selfsubjectaccessreviews", func(a k8stesting.Action) (bool, runtime.Object, error) {
		r := a.(k8stesting.CreateAction).GetObject().(*authorizationv1.SelfSubjectAccessReview)
		attr := r.Spec.ResourceAttributes
		r.Status.Allowed = true
		if attr != nil {
			res := attr.Resource
			if attr.Subresource != "" {
				res += "/" + attr.Subresource
			}
			for _, d := range denied {
				if d == attr.Verb+" "+res {
					r.Status.Allowed = false
				}
			}
		}
		return true, r, nil
	})
	return cs
}
