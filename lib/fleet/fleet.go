// Package fleet runs a read over many shoots of a Gardener project: for each, a short-lived
// kubeconfig from the shoot's adminkubeconfig subresource (viewerkubeconfig when that is all
// the user may have), kept in memory and never written, then the read, with bounded
// parallelism. Hibernated shoots and shoots that cannot be reached are results with their
// reason, not failures of the whole run.
package fleet

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	authenticationv1alpha1 "github.com/gardener/gardener/pkg/apis/authentication/v1alpha1"
	gardencorev1beta1 "github.com/gardener/gardener/pkg/apis/core/v1beta1"
	gardencore "github.com/gardener/gardener/pkg/client/core/clientset/versioned"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/osc-coco/kubectl-plugins/lib/clierr"
)

// Result states.
const (
	OK          = "ok"
	Hibernated  = "hibernated"
	Unreachable = "unreachable"
	Forbidden   = "forbidden"
	Failed      = "failed"
)

// Result is one shoot's outcome.
type Result[T any] struct {
	Shoot  string `json:"shoot"`
	Status string `json:"status"`
	Reason string `json:"reason,omitempty"`
	// Access is the kubeconfig the read used: admin or viewer.
	Access string `json:"access,omitempty"`
	Value  T      `json:"value,omitempty"`
}

// Expiration is how long a fleet kubeconfig lives (Gardener's minimum is 10 minutes).
const Expiration = 10 * time.Minute

// Shoots lists the project's shoots, all of them or the named ones (a name that does not
// exist is an error that names it).
func Shoots(ctx context.Context, core gardencore.Interface, namespace string, names []string) ([]gardencorev1beta1.Shoot, error) {
	list, err := core.CoreV1beta1().Shoots(namespace).List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, clierr.FromAPI(err, clierr.Action{Verb: "list", Resource: "shoots.core.gardener.cloud", Namespace: namespace})
	}
	byName := map[string]gardencorev1beta1.Shoot{}
	for _, s := range list.Items {
		byName[s.Name] = s
	}
	if len(names) == 0 {
		out := list.Items
		sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
		return out, nil
	}
	var out []gardencorev1beta1.Shoot
	for _, n := range names {
		s, ok := byName[n]
		if !ok {
			return nil, clierr.Usagef("list them with kubectl shoot list", "shoot %q does not exist in %s", n, namespace)
		}
		out = append(out, s)
	}
	return out, nil
}

// Kubeconfig asks the shoot's adminkubeconfig subresource, and viewerkubeconfig when the user
// may not have admin access, for a short-lived kubeconfig; the rest.Config is in memory only.
func Kubeconfig(ctx context.Context, core gardencore.Interface, namespace, name string) (*rest.Config, string, error) {
	cfg, err := request(ctx, core, namespace, name, "adminkubeconfig", "AdminKubeconfigRequest")
	if apierrors.IsForbidden(err) {
		cfg, err = request(ctx, core, namespace, name, "viewerkubeconfig", "ViewerKubeconfigRequest")
		return cfg, "viewer", err
	}
	return cfg, "admin", err
}

func request(ctx context.Context, core gardencore.Interface, namespace, name, subresource, kind string) (*rest.Config, error) {
	secs := int64(Expiration.Seconds())
	body, _ := json.Marshal(map[string]any{"apiVersion": authenticationv1alpha1.SchemeGroupVersion.String(), "kind": kind,
		"spec": map[string]any{"expirationSeconds": secs}})
	raw, err := core.CoreV1beta1().RESTClient().Post().Namespace(namespace).Resource("shoots").Name(name).
		SubResource(subresource).SetHeader("Content-Type", "application/json").Body(body).DoRaw(ctx)
	if err != nil {
		return nil, err
	}
	var resp struct {
		Status struct {
			Kubeconfig []byte `json:"kubeconfig"`
		} `json:"status"`
	}
	if err := json.Unmarshal(raw, &resp); err != nil || len(resp.Status.Kubeconfig) == 0 {
		return nil, fmt.Errorf("the Gardener API returned no %s for %s", subresource, name)
	}
	return clientcmd.RESTConfigFromKubeConfig(resp.Status.Kubeconfig)
}

// Run reads every shoot with at most parallel at once, in the shoots' order; wrap, if not nil,
// wraps each shoot's config as cli.Globals.WrapConfig does (request counting in benchmarks).
func Run[T any](ctx context.Context, core gardencore.Interface, namespace string, shoots []gardencorev1beta1.Shoot, parallel int,
	wrap func(*rest.Config), read func(ctx context.Context, cfg *rest.Config) (T, error)) []Result[T] {
	if parallel < 1 {
		parallel = 1
	}
	results := make([]Result[T], len(shoots))
	sem := make(chan struct{}, parallel)
	var wg sync.WaitGroup
	for i := range shoots {
		s := &shoots[i]
		results[i].Shoot = s.Name
		if hibernated(s) {
			results[i].Status, results[i].Reason = Hibernated, "the shoot is hibernated: no nodes run"
			continue
		}
		wg.Add(1)
		go func(r *Result[T]) {
			defer wg.Done()
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				r.Status, r.Reason = Failed, ctx.Err().Error()
				return
			}
			defer func() { <-sem }()
			one(ctx, core, namespace, r, wrap, read)
		}(&results[i])
	}
	wg.Wait()
	return results
}

func one[T any](ctx context.Context, core gardencore.Interface, namespace string, r *Result[T], wrap func(*rest.Config), read func(context.Context, *rest.Config) (T, error)) {
	cfg, access, err := Kubeconfig(ctx, core, namespace, r.Shoot)
	if err != nil {
		r.Status, r.Reason = classify(err, "getting a kubeconfig from the Gardener API")
		return
	}
	r.Access = access
	cfg.Timeout = 30 * time.Second
	if wrap != nil {
		wrap(cfg)
	}
	v, err := read(ctx, cfg)
	if err != nil {
		r.Status, r.Reason = classify(err, "reading the shoot")
		return
	}
	r.Status, r.Value = OK, v
}

func hibernated(s *gardencorev1beta1.Shoot) bool {
	return s.Status.IsHibernated || (s.Spec.Hibernation != nil && s.Spec.Hibernation.Enabled != nil && *s.Spec.Hibernation.Enabled)
}

func classify(err error, what string) (string, string) {
	var ce *clierr.Error
	msg := err.Error()
	if errors.As(err, &ce) {
		msg = ce.Error()
	}
	switch {
	case apierrors.IsForbidden(err) || strings.Contains(msg, "not allowed to"):
		return Forbidden, what + ": " + msg
	case clierr.IsConnection(err) || errors.Is(err, context.DeadlineExceeded) || strings.Contains(msg, "unreachable") || strings.Contains(msg, "connection refused"):
		return Unreachable, what + ": " + msg
	}
	return Failed, what + ": " + msg
}

// ProjectNamespace is the namespace of the Gardener project for --shoots: the named project's,
// else the garden context's namespace when it is a project's (garden-*).
func ProjectNamespace(ctx context.Context, core gardencore.Interface, project, contextNamespace string, explicit bool) (string, error) {
	if project == "" {
		if !explicit || !strings.HasPrefix(contextNamespace, "garden") {
			return "", clierr.Usagef("e.g. --shoots all -p eco --kubeconfig garden.yaml",
				"--shoots needs the project: -p PROJECT, or a garden kubeconfig whose context namespace is the project's")
		}
		return contextNamespace, nil
	}
	p, err := core.CoreV1beta1().Projects().Get(ctx, project, metav1.GetOptions{})
	if err != nil {
		return "", clierr.Wrap(clierr.FromAPI(err, clierr.Action{Verb: "get", Resource: "projects.core.gardener.cloud", Name: project}),
			"--shoots reads the project from the garden the kubeconfig flags point at")
	}
	if p.Spec.Namespace == nil {
		return "", clierr.Failf("wait for Gardener to set the project up", "project %s has no namespace yet", project)
	}
	return *p.Spec.Namespace, nil
}

// Names splits --shoots: "all" is every shoot (nil).
func Names(flag string) []string {
	if flag == "all" {
		return nil
	}
	return strings.Split(flag, ",")
}
