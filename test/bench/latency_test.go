package bench

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/watch"

	"github.com/osc-coco/kubectl-plugins/lib/waitfor"
)

// BenchmarkWatchedConditionLatency measures how long after a condition becomes true on the
// server the waits of every command (lib/waitfor: list, then watch) return: the test patches a
// label on a node while a wait for that label value runs, and takes the time from sending the
// patch to the wait's return (an upper bound: it includes the patch's own round trip). Goal: under 100 ms.
func BenchmarkWatchedConditionLatency(b *testing.B) {
	ensureNodes(b, 100)
	nodes := cp.Admin.CoreV1().Nodes()
	const node = "osc-node-00000"
	lw := waitfor.Named(nodes, node)
	var lat []time.Duration
	i := 0
	for b.Loop() {
		i++
		want := fmt.Sprint(i)
		ready := make(chan struct{})
		returned := make(chan time.Time, 1)
		go func() {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			first := true
			_, err := waitfor.Until(ctx, lw, &corev1.Node{}, func(ev watch.Event) (bool, error) {
				if first {
					first = false
					close(ready) // listed: the wait is following the node now
				}
				n, ok := ev.Object.(*corev1.Node)
				return ok && n.Labels["bench.osc-coco.io/step"] == want, nil
			})
			if err != nil {
				b.Error(err)
			}
			returned <- time.Now()
		}()
		<-ready
		patch := fmt.Sprintf(`{"metadata":{"labels":{"bench.osc-coco.io/step":%q}}}`, want)
		sent := time.Now()
		if _, err := nodes.Patch(context.Background(), node, types.MergePatchType, []byte(patch), metav1.PatchOptions{}); err != nil {
			b.Fatal(err)
		}
		lat = append(lat, (<-returned).Sub(sent))
	}
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(lat[len(lat)-1].Microseconds())/1000, "max-ms")
}
