package gardencmd

import (
	"context"
	"sort"
	"sync"

	gardencorev1beta1 "github.com/gardener/gardener/pkg/apis/core/v1beta1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/osc-coco/kubectl-plugins/lib/clierr"
	"github.com/osc-coco/kubectl-plugins/lib/garden"
)

// listParallel bounds the per-project reads of -A.
const listParallel = 8

// allShoots is -A: the shoots of every project the user can see. Operators may list shoots
// garden-wide; a project member may not (Gardener grants members their projects' namespaces
// only), so on Forbidden it reads each visible project's namespace, as the dashboard does.
// Projects whose shoots cannot be read are returned by name, never taken for empty.
func allShoots(ctx context.Context, gd *garden.Conn) ([]gardencorev1beta1.Shoot, map[string]string, []string, error) {
	projects := map[string]string{}
	plist, perr := gd.Core.CoreV1beta1().Projects().List(ctx, metav1.ListOptions{})
	if perr == nil {
		for i := range plist.Items {
			p := garden.ProjectOf(&plist.Items[i])
			projects[p.Namespace] = p.Name
		}
	}
	list, err := gd.Core.CoreV1beta1().Shoots("").List(ctx, metav1.ListOptions{})
	if err == nil {
		return list.Items, projects, nil, nil
	}
	if !apierrors.IsForbidden(err) {
		return nil, nil, nil, clierr.FromAPI(err, clierr.Action{Verb: "list", Resource: "shoots.core.gardener.cloud"})
	}
	if perr != nil {
		return nil, nil, nil, clierr.Wrap(clierr.FromAPI(perr, clierr.Action{Verb: "list", Resource: "projects.core.gardener.cloud"}),
			"-A reads the shoots of each project you can see")
	}
	shoots, unreadable := shootsByProject(ctx, gd, projects)
	return shoots, projects, unreadable, nil
}

// shootsByProject lists each project's shoots, listParallel at a time.
func shootsByProject(ctx context.Context, gd *garden.Conn, projects map[string]string) ([]gardencorev1beta1.Shoot, []string) {
	var (
		mu         sync.Mutex
		shoots     []gardencorev1beta1.Shoot
		unreadable []string
		wg         sync.WaitGroup
	)
	sem := make(chan struct{}, listParallel)
	for ns, name := range projects {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			l, err := gd.Core.CoreV1beta1().Shoots(ns).List(ctx, metav1.ListOptions{})
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				unreadable = append(unreadable, name+" ("+clierr.CannotTell(err, clierr.Action{Verb: "list", Resource: "shoots.core.gardener.cloud", Namespace: ns})+")")
				return
			}
			shoots = append(shoots, l.Items...)
		}()
	}
	wg.Wait()
	sort.Strings(unreadable)
	return shoots, unreadable
}
