package harness

import (
	"context"
	"encoding/json"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/kubernetes"
)

// KataDeployStandIn is a test helper that plays what only the kata-deploy payload does on a
// real cluster: when the kata-deploy DaemonSet appears in namespace, it labels the nodes its
// node selector picks katacontainers.io/kata-runtime=true; when the DaemonSet goes, it removes
// the label again (kata-deploy's clean-up). It runs until ctx ends.
// It follows the API server through outages (fault tests stop it): when the watch ends it
// watches again, first acting on the DaemonSet as it is then.
func KataDeployStandIn(ctx context.Context, cs kubernetes.Interface, namespace string) error {
	w, err := cs.AppsV1().DaemonSets(namespace).Watch(ctx, metav1.ListOptions{FieldSelector: "metadata.name=kata-deploy"})
	if err != nil {
		return err
	}
	go func() {
		for {
			for ev := range w.ResultChan() {
				if ds, ok := ev.Object.(*appsv1.DaemonSet); ok {
					labelKataNodes(ctx, cs, ds, ev.Type != watch.Deleted)
				}
			}
			w.Stop()
			for { // re-watch once the server answers again
				if ctx.Err() != nil {
					return
				}
				if w, err = cs.AppsV1().DaemonSets(namespace).Watch(ctx, metav1.ListOptions{FieldSelector: "metadata.name=kata-deploy"}); err == nil {
					break
				}
				time.Sleep(200 * time.Millisecond)
			}
			// A watch from now on delivers the current DaemonSet as ADDED; its absence is a deletion.
			if ds, err := cs.AppsV1().DaemonSets(namespace).List(ctx, metav1.ListOptions{FieldSelector: "metadata.name=kata-deploy"}); err == nil && len(ds.Items) == 0 {
				labelKataNodes(ctx, cs, nil, false)
			}
		}
	}()
	return nil
}

// labelKataNodes sets (present) or removes the kata-runtime label on the nodes ds selects (all
// labelled nodes when ds is nil).
func labelKataNodes(ctx context.Context, cs kubernetes.Interface, ds *appsv1.DaemonSet, present bool) {
	sel := "katacontainers.io/kata-runtime"
	if ds != nil {
		sel = labels.SelectorFromSet(ds.Spec.Template.Spec.NodeSelector).String()
	}
	nodes, err := cs.CoreV1().Nodes().List(ctx, metav1.ListOptions{LabelSelector: sel})
	if err != nil {
		return
	}
	var lbl any = "true"
	if !present {
		lbl = nil
	}
	for _, n := range nodes.Items {
		patch, _ := json.Marshal(map[string]any{"metadata": map[string]any{"labels": map[string]any{"katacontainers.io/kata-runtime": lbl}}})
		_, _ = cs.CoreV1().Nodes().Patch(ctx, n.Name, types.MergePatchType, patch, metav1.PatchOptions{})
	}
}
