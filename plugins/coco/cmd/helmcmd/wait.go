package helmcmd

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	nodev1 "k8s.io/api/node/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/watch"

	"github.com/osc-coco/kubectl-plugins/lib/clierr"
	"github.com/osc-coco/kubectl-plugins/lib/kube"
	"github.com/osc-coco/kubectl-plugins/lib/progress"
	"github.com/osc-coco/kubectl-plugins/lib/tee"
	"github.com/osc-coco/kubectl-plugins/lib/waitfor"
	"github.com/osc-coco/kubectl-plugins/plugins/coco/cmd/cmdutil"
)

// waitInstalled follows the target nodes and the runtime classes with watches until every
// target node carries katacontainers.io/kata-runtime=true and every expected class exists. It
// returns the target nodes.
func waitInstalled(ctx context.Context, c *kube.Clients, ns string, selector map[string]string, expected []string,
	timeout time.Duration, prog *progress.Progress) ([]string, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	sel := labels.SelectorFromSet(selector).String()
	nodes := c.Kube.CoreV1().Nodes()
	list, err := nodes.List(ctx, metav1.ListOptions{LabelSelector: sel})
	if err != nil {
		return nil, clierr.FromAPI(err, clierr.Action{Verb: "list", Resource: "nodes"})
	}
	targets := map[string]bool{}
	for _, n := range list.Items {
		targets[n.Name] = n.Labels[tee.KataRuntime] == "true"
	}
	if len(targets) == 0 {
		return nil, clierr.Failf("label workers (kubectl coco label-workers NODE) or change --node-selector", "no node matches the node selector %q", sel)
	}
	names := sortedKeys(targets)
	step := prog.Start(fmt.Sprintf("waiting for %d node(s) to run CoCo", len(targets)))
	lines := nodeLines(prog, names)
	lw := waitfor.OnClient(c.Kube, waitfor.Selected(func(ctx context.Context, o metav1.ListOptions) (runtime.Object, error) { return nodes.List(ctx, o) },
		func(ctx context.Context, o metav1.ListOptions) (watch.Interface, error) { return nodes.Watch(ctx, o) }, "", sel))
	err = waitfor.UntilAll(ctx, lw, &corev1.Node{}, func(objs []any) (bool, error) {
		for name := range targets {
			targets[name] = false
		}
		for _, obj := range objs {
			if n, ok := obj.(*corev1.Node); ok {
				if _, target := targets[n.Name]; target {
					targets[n.Name] = n.Labels[tee.KataRuntime] == "true"
					lines.show(n.Name, n.Labels[tee.KataRuntime])
				}
			}
		}
		done := 0
		for _, ok := range targets {
			if ok {
				done++
			}
		}
		step.Update(fmt.Sprintf("waiting for nodes to run CoCo: %d of %d", done, len(targets)))
		return done == len(targets), nil
	})
	if err != nil {
		lines.fail()
		step.Fail("not all nodes")
		var missing []string
		for _, n := range names {
			if !targets[n] {
				missing = append(missing, n)
			}
		}
		return nil, cmdutil.WaitError(err, fmt.Sprintf("nodes without %s=true: %s", tee.KataRuntime, strings.Join(missing, ", ")),
			"check the kata-deploy pods: kubectl get pods -n "+ns+" -o wide; kubectl coco status")
	}
	step.Done(strings.Join(names, ", "))
	if err := waitRuntimeClasses(ctx, c, ns, expected, prog); err != nil {
		return nil, err
	}
	return names, nil
}

// waitRuntimeClasses follows runtime classes until every expected one exists.
func waitRuntimeClasses(ctx context.Context, c *kube.Clients, ns string, expected []string, prog *progress.Progress) error {
	step := prog.Start(fmt.Sprintf("waiting for %d runtime class(es)", len(expected)))
	seen := map[string]bool{}
	rcs := c.Kube.NodeV1().RuntimeClasses()
	rlw := waitfor.OnClient(c.Kube, waitfor.Selected(func(ctx context.Context, o metav1.ListOptions) (runtime.Object, error) { return rcs.List(ctx, o) },
		func(ctx context.Context, o metav1.ListOptions) (watch.Interface, error) { return rcs.Watch(ctx, o) }, "", ""))
	err := waitfor.UntilAll(ctx, rlw, &nodev1.RuntimeClass{}, func(objs []any) (bool, error) {
		clear(seen)
		for _, obj := range objs {
			if rc, ok := obj.(*nodev1.RuntimeClass); ok {
				seen[rc.Name] = true
			}
		}
		for _, e := range expected {
			if !seen[e] {
				return false, nil
			}
		}
		return true, nil
	})
	if err != nil {
		step.Fail("missing")
		var missing []string
		for _, e := range expected {
			if !seen[e] {
				missing = append(missing, e)
			}
		}
		return cmdutil.WaitError(err, "runtime classes missing: "+strings.Join(missing, ", "), "check the installer pods in namespace "+ns+" (kubectl get pods -n "+ns+")")
	}
	step.Done(strings.Join(expected, ", "))
	return nil
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return slices.Clip(out)
}

// waitNamespaceGone waits while the namespace is terminating (after an uninstall): nothing can
// be created in it until it is gone.
func waitNamespaceGone(ctx context.Context, c *kube.Clients, ns string, timeout time.Duration, prog *progress.Progress) error {
	n, err := c.Kube.CoreV1().Namespaces().Get(ctx, ns, metav1.GetOptions{})
	if apierrors.IsNotFound(err) || err == nil && n.DeletionTimestamp == nil {
		return nil
	}
	if err != nil {
		return clierr.FromAPI(err, clierr.Action{Verb: "get", Resource: "namespaces", Name: ns})
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	step := prog.Start("waiting for namespace " + ns + " to finish terminating")
	nss := c.Kube.CoreV1().Namespaces()
	lw := waitfor.OnClient(c.Kube, waitfor.Named(nss, ns))
	if err := waitfor.Gone(ctx, lw, &corev1.Namespace{}); err != nil {
		step.Fail("")
		return cmdutil.WaitError(err, "namespace "+ns+" is still terminating", "see what blocks it: kubectl get namespace "+ns+" -o yaml")
	}
	step.Done("")
	return nil
}

func errorsAs(err error, target **clierr.Error) bool { return errors.As(err, target) }

// maxNodeLines bounds the per-node progress lines; bigger installs show the count only.
const maxNodeLines = 8

// nodeProgress is a progress line per target node while kata-deploy installs on it.
type nodeProgress map[string]*progress.Step

func nodeLines(prog *progress.Progress, names []string) nodeProgress {
	lines := nodeProgress{}
	if len(names) > maxNodeLines {
		return lines
	}
	for _, n := range names {
		lines[n] = prog.Start("node " + n + ": waiting for kata-deploy")
	}
	return lines
}

// show follows a node's katacontainers.io/kata-runtime label ("true" once installed).
func (l nodeProgress) show(node, state string) {
	s := l[node]
	switch {
	case s == nil:
	case state == "true":
		s.Done(tee.KataRuntime + "=true")
		delete(l, node)
	case state != "":
		s.Update("node " + node + ": " + tee.KataRuntime + "=" + state)
	}
}

// fail ends the lines of the nodes that did not finish.
func (l nodeProgress) fail() {
	for _, s := range l {
		s.Fail("not installed")
	}
}
