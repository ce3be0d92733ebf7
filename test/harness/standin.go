package harness

import (
	"context"
	"encoding/json"
	"strings"
	"sync/atomic"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/kubernetes"

	"github.com/osc-coco/kubectl-plugins/test/katadeploy"
)

// StandIn is a running KataDeployStandIn.
type StandIn struct {
	skipCleanupJob atomic.Bool
	onlyHooks      bool
}

// CleanupJobStandIn plays only the chart's post-delete hook Job (see KataDeployStandIn), for
// tests whose nodes must stay unlabelled (no kata-deploy runs) but whose uninstall must finish.
func CleanupJobStandIn(ctx context.Context, cs kubernetes.Interface, namespace string) error {
	return (&StandIn{onlyHooks: true}).run(ctx, cs, namespace)
}

// SkipCleanupJob leaves the chart's post-delete hook Job alone from now on (skip true), as on a
// cluster where its pod cannot run: Helm then waits for it until its timeout.
func (s *StandIn) SkipCleanupJob(skip bool) { s.skipCleanupJob.Store(skip) }

// KataDeployStandIn is a test helper that plays what only the kata-deploy payload does on a
// real cluster, and the chart's post-delete hook Job:
//   - when kata-deploy's DaemonSet (any DaemonSet in namespace whose pods carry DAEMONSET_NAME) is
//     there, each node its node selector picks is judged by kata-deploy's start-up check
//     (test/katadeploy) on the DaemonSet's env for the node's architecture: a node that passes is
//     labelled katacontainers.io/kata-runtime=true, as kata-deploy does once installed; on a
//     node that fails, kata-deploy would crash-loop, and the node stays unlabelled;
//   - when the DaemonSet goes, the labels go (kata-deploy's clean-up);
//   - when the post-delete hook Job <name>-rb-cleanup appears, it removes the kept RBAC
//     (<name>-role, <name>-rb, <name>-sa) and marks the Job complete.
//
// It runs until ctx ends and follows the API server through outages (fault tests stop it).
func KataDeployStandIn(ctx context.Context, cs kubernetes.Interface, namespace string) (*StandIn, error) {
	s := &StandIn{}
	return s, s.run(ctx, cs, namespace)
}

func (s *StandIn) run(ctx context.Context, cs kubernetes.Interface, namespace string) error {
	if !s.onlyHooks {
		if err := s.followDaemonSets(ctx, cs, namespace); err != nil {
			return err
		}
	}
	jobs := cs.BatchV1().Jobs(namespace)
	return follow(ctx, func() (watch.Interface, error) { return jobs.Watch(ctx, metav1.ListOptions{}) }, func() {},
		func(ev watch.Event) {
			if j, ok := ev.Object.(*batchv1.Job); ok && ev.Type == watch.Added && strings.HasSuffix(j.Name, "-rb-cleanup") && !s.skipCleanupJob.Load() {
				playCleanupJob(ctx, cs, j)
			}
		})
}

func (s *StandIn) followDaemonSets(ctx context.Context, cs kubernetes.Interface, namespace string) error {
	dss := cs.AppsV1().DaemonSets(namespace)
	return follow(ctx, func() (watch.Interface, error) { return dss.Watch(ctx, metav1.ListOptions{}) },
		func() { // after a lost watch: a DaemonSet deleted meanwhile leaves labels behind
			if l, err := dss.List(ctx, metav1.ListOptions{}); err == nil && !hasKataDeploy(l.Items) {
				labelKataNodes(ctx, cs, nil, nil)
			}
		},
		func(ev watch.Event) {
			if ds, ok := ev.Object.(*appsv1.DaemonSet); ok && kataEnv(ds) != nil {
				if ev.Type == watch.Deleted {
					labelKataNodes(ctx, cs, nil, nil)
				} else {
					labelKataNodes(ctx, cs, ds, kataEnv(ds))
				}
			}
		})
}

// follow watches until ctx ends, re-watching (after resync) when the server ends the watch.
func follow(ctx context.Context, watchFn func() (watch.Interface, error), resync func(), handle func(watch.Event)) error {
	w, err := watchFn()
	if err != nil {
		return err
	}
	go func() {
		for {
			for ev := range w.ResultChan() {
				handle(ev)
			}
			w.Stop()
			for { // re-watch once the server answers again
				if ctx.Err() != nil {
					return
				}
				if w, err = watchFn(); err == nil {
					break
				}
				time.Sleep(200 * time.Millisecond)
			}
			resync() // the new watch delivers what exists as ADDED; what went meanwhile is resync's
		}
	}()
	return nil
}

func hasKataDeploy(items []appsv1.DaemonSet) bool {
	for i := range items {
		if kataEnv(&items[i]) != nil {
			return true
		}
	}
	return false
}

// kataEnv is the kata-deploy container's env, nil for another DaemonSet.
func kataEnv(ds *appsv1.DaemonSet) map[string]string {
	for _, c := range ds.Spec.Template.Spec.Containers {
		env := map[string]string{}
		for _, e := range c.Env {
			env[e.Name] = e.Value
		}
		if _, ok := env["DAEMONSET_NAME"]; ok {
			return env
		}
	}
	return nil
}

// labelKataNodes labels the nodes ds selects that pass kata-deploy's start-up check and
// unlabels the others; with ds nil it removes the label from every node.
func labelKataNodes(ctx context.Context, cs kubernetes.Interface, ds *appsv1.DaemonSet, env map[string]string) {
	sel := "katacontainers.io/kata-runtime"
	if ds != nil {
		sel = labels.SelectorFromSet(ds.Spec.Template.Spec.NodeSelector).String()
	}
	nodes, err := cs.CoreV1().Nodes().List(ctx, metav1.ListOptions{LabelSelector: sel})
	if err != nil {
		return
	}
	for _, n := range nodes.Items {
		var lbl any
		if ds != nil {
			if _, err := katadeploy.StartupCheck(env, n.Labels[corev1.LabelArchStable], env["KATA_DEPLOY_VERSION"]); err == nil {
				lbl = "true"
			}
		}
		patch, _ := json.Marshal(map[string]any{"metadata": map[string]any{"labels": map[string]any{"katacontainers.io/kata-runtime": lbl}}})
		_, _ = cs.CoreV1().Nodes().Patch(ctx, n.Name, types.MergePatchType, patch, metav1.PatchOptions{})
	}
}

// playCleanupJob does the work of kata-deploy's rb-cleanup hook Job and completes it.
func playCleanupJob(ctx context.Context, cs kubernetes.Interface, j *batchv1.Job) {
	name := strings.TrimSuffix(j.Name, "-rb-cleanup")
	_ = cs.RbacV1().ClusterRoleBindings().Delete(ctx, name+"-rb", metav1.DeleteOptions{})
	_ = cs.RbacV1().ClusterRoles().Delete(ctx, name+"-role", metav1.DeleteOptions{})
	_ = cs.CoreV1().ServiceAccounts(j.Namespace).Delete(ctx, name+"-sa", metav1.DeleteOptions{})
	now := metav1.Now()
	j.Status = batchv1.JobStatus{StartTime: &now, CompletionTime: &now, Succeeded: 1, Conditions: []batchv1.JobCondition{
		{Type: batchv1.JobSuccessCriteriaMet, Status: corev1.ConditionTrue, LastTransitionTime: now},
		{Type: batchv1.JobComplete, Status: corev1.ConditionTrue, LastTransitionTime: now},
	}}
	_, _ = cs.BatchV1().Jobs(j.Namespace).UpdateStatus(ctx, j, metav1.UpdateOptions{})
}
