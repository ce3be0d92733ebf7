package gardencmd

import (
	"context"
	"fmt"
	"slices"
	"strings"

	gardencorev1beta1 "github.com/gardener/gardener/pkg/apis/core/v1beta1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/osc-coco/kubectl-plugins/lib/clierr"
	"github.com/osc-coco/kubectl-plugins/lib/garden"
	"github.com/osc-coco/kubectl-plugins/plugins/shoot/cloudprofile"
	"github.com/osc-coco/kubectl-plugins/plugins/shoot/shootspec"
)

const namespacedKind = "NamespacedCloudProfile"

// resolveProfile finds the cloud profile: the one named (a NamespacedCloudProfile of the project
// first, then a CloudProfile), else the one the project's shoots use, else the only OpenStack one.
func resolveProfile(ctx context.Context, gd *garden.Conn, p garden.Project, name string) (shootspec.Profile, error) {
	core := gd.Core.CoreV1beta1()
	if name != "" {
		name = strings.TrimPrefix(strings.TrimPrefix(name, "namespacedcloudprofile/"), "cloudprofile/")
		if ncp, err := core.NamespacedCloudProfiles(p.Namespace).Get(ctx, name, metav1.GetOptions{}); err == nil {
			return namespacedProfile(ctx, gd, ncp)
		}
		cp, err := core.CloudProfiles().Get(ctx, name, metav1.GetOptions{})
		if err == nil {
			return shootspec.Profile{Kind: "CloudProfile", Name: cp.Name, Spec: cp.Spec}, nil
		}
		if apierrors.IsNotFound(err) {
			names := profileNames(ctx, gd, p)
			nf := &cloudprofile.NotFoundError{What: "cloud profile", Name: name, Known: names}
			return shootspec.Profile{}, clierr.Usagef(nf.Fix(), "%s", nf.Error())
		}
		return shootspec.Profile{}, clierr.FromAPI(err, clierr.Action{Verb: "get", Resource: "cloudprofiles.core.gardener.cloud", Name: name})
	}
	// The profile the project's shoots use.
	if shoots, err := core.Shoots(p.Namespace).List(ctx, metav1.ListOptions{}); err == nil {
		refs := map[gardencorev1beta1.CloudProfileReference]bool{}
		for _, s := range shoots.Items {
			if s.Spec.CloudProfile != nil {
				refs[*s.Spec.CloudProfile] = true
			} else if s.Spec.CloudProfileName != nil {
				refs[gardencorev1beta1.CloudProfileReference{Kind: "CloudProfile", Name: *s.Spec.CloudProfileName}] = true
			}
		}
		if len(refs) == 1 {
			for ref := range refs {
				if ref.Kind == namespacedKind {
					return resolveProfile(ctx, gd, p, "namespacedcloudprofile/"+ref.Name)
				}
				return resolveProfile(ctx, gd, p, "cloudprofile/"+ref.Name)
			}
		}
	}
	list, err := core.CloudProfiles().List(ctx, metav1.ListOptions{})
	if err != nil {
		return shootspec.Profile{}, clierr.Wrap(clierr.FromAPI(err, clierr.Action{Verb: "list", Resource: "cloudprofiles.core.gardener.cloud"}), "finding the cloud profile (pass --cloud-profile)")
	}
	var openstack []gardencorev1beta1.CloudProfile
	for _, cp := range list.Items {
		if cp.Spec.Type == shootspec.ProviderType {
			openstack = append(openstack, cp)
		}
	}
	if len(openstack) == 1 {
		return shootspec.Profile{Kind: "CloudProfile", Name: openstack[0].Name, Spec: openstack[0].Spec}, nil
	}
	return shootspec.Profile{}, clierr.Usagef("pass --cloud-profile with one of: "+strings.Join(profileNames(ctx, gd, p), ", "),
		"cannot tell which cloud profile to use: %d OpenStack cloud profiles and no shoot in project %s to take it from", len(openstack), p.Name)
}

func namespacedProfile(ctx context.Context, gd *garden.Conn, ncp *gardencorev1beta1.NamespacedCloudProfile) (shootspec.Profile, error) {
	prof := shootspec.Profile{Kind: namespacedKind, Name: ncp.Name}
	if ncp.Status.CloudProfileSpec.Type != "" {
		prof.Spec = ncp.Status.CloudProfileSpec
		return prof, nil
	}
	// Not reconciled yet: the parent's spec is the best available answer.
	parent, err := gd.Core.CoreV1beta1().CloudProfiles().Get(ctx, ncp.Spec.Parent.Name, metav1.GetOptions{})
	if err != nil {
		return prof, clierr.Wrap(clierr.FromAPI(err, clierr.Action{Verb: "get", Resource: "cloudprofiles.core.gardener.cloud", Name: ncp.Spec.Parent.Name}),
			"namespaced cloud profile %s has no merged spec yet; reading its parent", ncp.Name)
	}
	prof.Spec = parent.Spec
	return prof, nil
}

func profileNames(ctx context.Context, gd *garden.Conn, p garden.Project) []string {
	var names []string
	if list, err := gd.Core.CoreV1beta1().CloudProfiles().List(ctx, metav1.ListOptions{}); err == nil {
		for _, cp := range list.Items {
			names = append(names, cp.Name)
		}
	}
	if list, err := gd.Core.CoreV1beta1().NamespacedCloudProfiles(p.Namespace).List(ctx, metav1.ListOptions{}); err == nil {
		for _, cp := range list.Items {
			names = append(names, fmt.Sprintf("namespacedcloudprofile/%s", cp.Name))
		}
	}
	slices.Sort(names)
	return names
}
