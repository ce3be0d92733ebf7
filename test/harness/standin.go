package harness

import (
	"context"
	"encoding/json"

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
func KataDeployStandIn(ctx context.Context, cs kubernetes.Interface, namespace string) error {
	w, err := cs.AppsV1().DaemonSets(namespace).Watch(ctx, metav1.ListOptions{FieldSelector: "metadata.name=kata-deploy"})
	if err != nil {
		return err
	}
	go func() {
		defer w.Stop()
		for ev := range w.ResultChan() {
			ds, ok := ev.Object.(*appsv1.DaemonSet)
			if !ok {
				continue
			}
			value := "true"
			if ev.Type == watch.Deleted {
				value = ""
			}
			sel := labels.SelectorFromSet(ds.Spec.Template.Spec.NodeSelector).String()
			nodes, err := cs.CoreV1().Nodes().List(ctx, metav1.ListOptions{LabelSelector: sel})
			if err != nil {
				continue
			}
			for _, n := range nodes.Items {
				var lbl any = value
				if value == "" {
					lbl = nil
				}
				patch, _ := json.Marshal(map[string]any{"metadata": map[string]any{"labels": map[string]any{"katacontainers.io/kata-runtime": lbl}}})
				_, _ = cs.CoreV1().Nodes().Patch(ctx, n.Name, types.MergePatchType, patch, metav1.PatchOptions{})
			}
		}
	}()
	return nil
}
