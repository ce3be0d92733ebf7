package cmd

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"

	"github.com/osc-coco/kubectl-plugins/lib/clierr"
	"github.com/osc-coco/kubectl-plugins/lib/kube"
	"github.com/osc-coco/kubectl-plugins/lib/output"
	"github.com/osc-coco/kubectl-plugins/lib/tee/nodecheck"
)

// pagingNodes answers node LISTs a page at a time, as the API server does with limit and
// continue (the continue token here is the next index); expireAt makes the page at that index
// answer 410 Gone once, as a compacted snapshot does.
func pagingNodes(n, expireAt int) (*fake.Clientset, *[]metav1.ListOptions) {
	cs := fake.NewClientset()
	var seen []metav1.ListOptions
	expired := false
	cs.PrependReactor("list", "nodes", func(a k8stesting.Action) (bool, runtime.Object, error) {
		lo := a.(k8stesting.ListActionImpl).ListOptions
		seen = append(seen, lo)
		from, _ := strconv.Atoi(lo.Continue)
		if lo.Continue != "" && from == expireAt && !expired {
			expired = true
			return true, nil, apierrors.NewResourceExpired("continue token too old")
		}
		to := n
		if lo.Limit > 0 {
			to = min(n, from+int(lo.Limit))
		}
		list := &corev1.NodeList{}
		for i := from; i < to; i++ {
			list.Items = append(list.Items, *fakeNode(fmt.Sprintf("node-%02d", i), "16", "64Gi", "containerd://1.7.22", nil))
		}
		if to < n {
			list.Continue = strconv.Itoa(to)
		}
		return true, list, nil
	})
	return cs, &seen
}

func TestNodeListerPages(t *testing.T) {
	for _, tc := range []struct {
		name      string
		chunk     int64
		expireAt  int
		wantLists int
	}{
		{"one request with --chunk-size 0", 0, -1, 1},
		{"pages of 4", 4, -1, 3},
		{"pages of the default size", defaultChunkSize, -1, 1},
		{"an expired snapshot restarts as one request", 4, 8, 4},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cs, seen := pagingNodes(10, tc.expireAt)
			l := nodeLister{ChunkSize: tc.chunk}
			reports, err := l.evaluate(context.Background(), &kube.Clients{Kube: cs}, "", nodecheck.Options{}, nil)
			if err != nil {
				t.Fatal(err)
			}
			if len(reports) != 10 || reports[0].Name != "node-00" || reports[9].Name != "node-09" {
				t.Fatalf("got %d reports, want node-00..node-09 once each: %v", len(reports), reports)
			}
			if len(*seen) != tc.wantLists {
				t.Fatalf("%d LISTs, want %d: %+v", len(*seen), tc.wantLists, *seen)
			}
			if first := (*seen)[0]; first.Limit != tc.chunk {
				t.Fatalf("first LIST limit %d, want %d", first.Limit, tc.chunk)
			}
		})
	}
}

func TestNodeListerRefusesNegativeChunkSize(t *testing.T) {
	err := (&nodeLister{ChunkSize: -1}).validate()
	if err == nil || !strings.Contains(err.Error(), "--chunk-size -1 is negative") {
		t.Fatalf("got %v", err)
	}
}

// A page refused half-way is an error, never a shorter list.
func TestNodeListerFailsOnARefusedPage(t *testing.T) {
	cs, _ := pagingNodes(10, -1)
	calls := 0
	cs.PrependReactor("list", "nodes", func(k8stesting.Action) (bool, runtime.Object, error) {
		if calls++; calls == 2 {
			return true, nil, apierrors.NewForbidden(corev1.Resource("nodes"), "", fmt.Errorf("no"))
		}
		return false, nil, nil
	})
	reports, err := (&nodeLister{ChunkSize: 4}).evaluate(context.Background(), &kube.Clients{Kube: cs}, "", nodecheck.Options{}, nil)
	if err == nil || reports != nil || !strings.Contains(err.Error(), "forbidden") {
		t.Fatalf("got %d reports, error %v; want no reports and a forbidden error", len(reports), err)
	}
}

// Ctrl-C between pages is an interruption, never a shorter list: whichever of the reader's
// sends wins the race with the cancelled context.
func TestNodeListerInterruptedBetweenPages(t *testing.T) {
	for range 50 {
		ctx, cancel := context.WithCancel(context.Background())
		cs, _ := pagingNodes(10, -1)
		calls := 0
		cs.PrependReactor("list", "nodes", func(k8stesting.Action) (bool, runtime.Object, error) {
			if calls++; calls == 2 {
				cancel()
			} else if calls > 2 {
				return true, nil, ctx.Err() // what client-go returns once the context ended
			}
			return false, nil, nil
		})
		reports, err := (&nodeLister{ChunkSize: 4}).evaluate(ctx, &kube.Clients{Kube: cs}, "", nodecheck.Options{}, nil)
		if err == nil || reports != nil || !errors.Is(err, clierr.ErrInterrupted) {
			t.Fatalf("got %d reports, error %v; want an interruption", len(reports), err)
		}
	}
}

// The verdicts encoded while the pages are read are those of the list kept: an expired
// snapshot's first pages are forgotten with it.
func TestNodeListerEncodesAheadOfTheKeptList(t *testing.T) {
	cs, _ := pagingNodes(10, 8)
	p, err := output.ToPrinter(&output.Flags{Output: "json"}, func(io.Writer, NodeReportList) error { return nil })
	if err != nil {
		t.Fatal(err)
	}
	ahead := p.Ahead()
	reports, err := (&nodeLister{ChunkSize: 4}).evaluate(context.Background(), &kube.Clients{Kube: cs}, "", nodecheck.Options{}, ahead)
	if err != nil || len(reports) != 10 || ahead.Len() != 10 {
		t.Fatalf("%d reports, %d encoded ahead, %v; want 10 and 10", len(reports), ahead.Len(), err)
	}
}
