package harness

import (
	"context"
	"encoding/json"
	"slices"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	nodev1 "k8s.io/api/node/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
)

// OperatorStandInRuntimeClasses are the classes the stand-in creates for a CcRuntime.
var OperatorStandInRuntimeClasses = []string{"kata-qemu", "kata-qemu-coco-dev"}

var ccRuntimes = schema.GroupVersionResource{Group: "confidentialcontainers.org", Version: "v1beta1", Resource: "ccruntimes"}

const standInFinalizer = "runtimeconfig.confidentialcontainers.org/finalizer"

// OperatorStandIn is a test helper that plays what only the CoCo operator's controller (and
// the controller-manager) do on a real cluster: it marks the operator Deployment Available,
// and for each CcRuntime labels its nodes, creates runtime classes, fills its status and holds
// a finalizer that it drops after cleaning up on deletion. It runs until ctx ends.
func OperatorStandIn(ctx context.Context, cs kubernetes.Interface, dyn dynamic.Interface) {
	go func() {
		w, err := cs.AppsV1().Deployments("confidential-containers-system").Watch(ctx, metav1.ListOptions{})
		if err != nil {
			return
		}
		defer w.Stop()
		for ev := range w.ResultChan() {
			d, ok := ev.Object.(*appsv1.Deployment)
			if !ok || len(d.Status.Conditions) > 0 {
				continue
			}
			d.Status.Conditions = []appsv1.DeploymentCondition{{Type: appsv1.DeploymentAvailable, Status: corev1.ConditionTrue, Reason: "StandIn"}}
			_, _ = cs.AppsV1().Deployments(d.Namespace).UpdateStatus(ctx, d, metav1.UpdateOptions{})
		}
	}()
	go func() {
		// The CRD comes with the operator: retry the watch until it exists (test helper only).
		for ctx.Err() == nil {
			w, err := dyn.Resource(ccRuntimes).Watch(ctx, metav1.ListOptions{})
			if err != nil {
				time.Sleep(100 * time.Millisecond)
				continue
			}
			for ev := range w.ResultChan() {
				if u, ok := ev.Object.(*unstructured.Unstructured); ok {
					reconcileCcRuntime(ctx, cs, dyn, u)
				}
			}
			w.Stop()
		}
	}()
}

func reconcileCcRuntime(ctx context.Context, cs kubernetes.Interface, dyn dynamic.Interface, u *unstructured.Unstructured) {
	sel := labels.Everything()
	if m, found, _ := unstructured.NestedStringMap(u.Object, "spec", "ccNodeSelector", "matchLabels"); found {
		sel = labels.SelectorFromSet(m)
	}
	nodes, err := cs.CoreV1().Nodes().List(ctx, metav1.ListOptions{LabelSelector: sel.String()})
	if err != nil {
		return
	}
	ri := dyn.Resource(ccRuntimes)
	setLabel := func(value any) {
		patch, _ := json.Marshal(map[string]any{"metadata": map[string]any{"labels": map[string]any{"katacontainers.io/kata-runtime": value}}})
		for _, n := range nodes.Items {
			_, _ = cs.CoreV1().Nodes().Patch(ctx, n.Name, types.MergePatchType, patch, metav1.PatchOptions{})
		}
	}
	if u.GetDeletionTimestamp() != nil {
		setLabel(nil)
		for _, rc := range OperatorStandInRuntimeClasses {
			_ = cs.NodeV1().RuntimeClasses().Delete(ctx, rc, metav1.DeleteOptions{})
		}
		u.SetFinalizers(slices.DeleteFunc(u.GetFinalizers(), func(f string) bool { return f == standInFinalizer }))
		_, _ = ri.Update(ctx, u, metav1.UpdateOptions{})
		return
	}
	if done, _, _ := unstructured.NestedInt64(u.Object, "status", "installationStatus", "completed", "completedNodesCount"); done > 0 {
		return
	}
	if !slices.Contains(u.GetFinalizers(), standInFinalizer) {
		u.SetFinalizers(append(u.GetFinalizers(), standInFinalizer))
		var err error
		if u, err = ri.Update(ctx, u, metav1.UpdateOptions{}); err != nil {
			return
		}
	}
	setLabel("true")
	for _, rc := range OperatorStandInRuntimeClasses {
		_, _ = cs.NodeV1().RuntimeClasses().Create(ctx, &nodev1.RuntimeClass{ObjectMeta: metav1.ObjectMeta{Name: rc}, Handler: rc,
			Scheduling: &nodev1.Scheduling{NodeSelector: map[string]string{"katacontainers.io/kata-runtime": "true"}}}, metav1.CreateOptions{})
	}
	var names []any
	for _, n := range nodes.Items {
		names = append(names, n.Name)
	}
	u.Object["status"] = map[string]any{
		"runtimeName": "kata", "runtimeClass": "kata-qemu,kata-qemu-coco-dev", "totalNodesCount": int64(len(names)),
		"installationStatus": map[string]any{"completed": map[string]any{"completedNodesCount": int64(len(names)), "completedNodesList": names}},
	}
	_, _ = ri.UpdateStatus(ctx, u, metav1.UpdateOptions{})
}
