package garden

import (
	"context"
	"fmt"
	"sort"
	"strings"

	gardencorev1beta1 "github.com/gardener/gardener/pkg/apis/core/v1beta1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/osc-coco/kubectl-plugins/lib/clierr"
	"github.com/osc-coco/kubectl-plugins/lib/garden/gardenconfig"
	"github.com/osc-coco/kubectl-plugins/lib/names"
)

// Shoot reads one shoot; a wrong name gets the project's shoots and a suggestion.
func (c *Conn) Shoot(ctx context.Context, p Project, name string) (*gardencorev1beta1.Shoot, error) {
	s, err := c.Core.CoreV1beta1().Shoots(p.Namespace).Get(ctx, name, metav1.GetOptions{})
	if err == nil {
		return s, nil
	}
	if !apierrors.IsNotFound(err) {
		return nil, clierr.FromAPI(err, clierr.Action{Verb: "get", Resource: "shoots.core.gardener.cloud", Namespace: p.Namespace, Name: name})
	}
	msg := fmt.Sprintf("shoot %q does not exist in project %s", name, p.Name)
	fix := "list the shoots: kubectl shoot list -p " + p.Name
	if list, lerr := c.Core.CoreV1beta1().Shoots(p.Namespace).List(ctx, metav1.ListOptions{}); lerr == nil {
		var known []string
		for _, s := range list.Items {
			known = append(known, s.Name)
		}
		if s := names.Suggest(name, known, 1); len(s) > 0 {
			msg += fmt.Sprintf("; did you mean %q?", s[0])
		}
		if len(known) > 0 {
			fix = "shoots in project " + p.Name + ": " + strings.Join(known, ", ")
		}
	}
	return nil, &clierr.Error{Code: clierr.CodeFailure, Msg: msg, Fix: fix}
}

// Shoots lists the project's shoots, all of them (known nil) or the named ones, in order; a
// name that does not exist is a usage error that known it.
func (c *Conn) Shoots(ctx context.Context, p Project, known []string) ([]gardencorev1beta1.Shoot, error) {
	list, err := c.Core.CoreV1beta1().Shoots(p.Namespace).List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, clierr.FromAPI(err, clierr.Action{Verb: "list", Resource: "shoots.core.gardener.cloud", Namespace: p.Namespace})
	}
	if len(known) == 0 {
		out := list.Items
		sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
		return out, nil
	}
	byName := map[string]gardencorev1beta1.Shoot{}
	for _, s := range list.Items {
		byName[s.Name] = s
	}
	var out []gardencorev1beta1.Shoot
	for _, n := range known {
		s, ok := byName[n]
		if !ok {
			return nil, clierr.Usagef("list them with kubectl shoot list -p "+p.Name, "shoot %q does not exist in project %s", n, p.Name)
		}
		out = append(out, s)
	}
	return out, nil
}

// ShootNames splits --shoots: "all" is every shoot (nil).
func ShootNames(flag string) []string {
	if flag == "all" {
		return nil
	}
	return strings.Split(flag, ",")
}

// ClusterIdentity is the garden's identity for kubeconfigs: from the garden config, else the
// garden's own kube-system/cluster-identity ConfigMap (what gardenlogin compares it with).
func (c *Conn) ClusterIdentity(ctx context.Context) (string, error) {
	if c.Identity != "" {
		return c.Identity, nil
	}
	const fix = "add the garden to the garden config (kubectl shoot config set-garden) or pass --garden"
	cm, err := c.Kube.CoreV1().ConfigMaps("kube-system").Get(ctx, "cluster-identity", metav1.GetOptions{})
	switch {
	case apierrors.IsNotFound(err):
		return "", clierr.Failf(fix, "the garden's identity is not in the garden config, and the cluster has no kube-system/cluster-identity ConfigMap")
	case err != nil:
		return "", clierr.Failf(fix, "the garden's identity is not in the garden config, and %s",
			clierr.CannotTell(err, clierr.Action{Verb: "get", Resource: "configmaps", Namespace: "kube-system", Name: "cluster-identity"}))
	case cm.Data["cluster-identity"] == "":
		return "", clierr.Failf(fix, "the garden's identity is not in the garden config, and its kube-system/cluster-identity ConfigMap has no cluster-identity")
	}
	id := cm.Data["cluster-identity"]
	if err := gardenconfig.ValidateName(id); err != nil {
		return "", clierr.Failf("add the garden to the garden config under a valid identity (kubectl shoot config set-garden) and pass --garden",
			"the garden's cluster identity %q %v, so gardenlogin would refuse a kubeconfig naming it", id, err)
	}
	return id, nil
}
