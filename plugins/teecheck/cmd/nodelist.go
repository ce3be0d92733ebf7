package cmd

import (
	"context"

	"github.com/spf13/cobra"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes"
	corev1client "k8s.io/client-go/kubernetes/typed/core/v1"
	"k8s.io/client-go/rest"

	"github.com/osc-coco/kubectl-plugins/lib/clierr"
	"github.com/osc-coco/kubectl-plugins/lib/kube"
	"github.com/osc-coco/kubectl-plugins/lib/output"
	"github.com/osc-coco/kubectl-plugins/lib/tee/nodecheck"
)

// defaultChunkSize is kubectl's --chunk-size default.
const defaultChunkSize = 500

// nodeLister reads the nodes a page at a time and judges each page as it arrives, so that only
// one page of Node objects is ever in memory (issue #29: thousands of nodes within twice the
// memory of one raw LIST).
type nodeLister struct {
	ChunkSize int64
}

func (l *nodeLister) addFlags(cmd *cobra.Command) {
	cmd.Flags().Int64Var(&l.ChunkSize, "chunk-size", defaultChunkSize,
		"read the nodes in pages of this size, as kubectl does; 0 reads them in one request")
}

func (l *nodeLister) validate() error {
	if l.ChunkSize < 0 {
		return clierr.Usagef("use --chunk-size 500 (kubectl's default), or 0 for a single request", "--chunk-size %d is negative", l.ChunkSize)
	}
	return nil
}

// evaluate lists the nodes matching selector and judges each, page by page: the next page is
// read while the last is judged. Pages carry the first page's resourceVersion, so together
// they are one consistent snapshot, like the single LIST; if the snapshot expires between
// pages (410 Gone), the list restarts as one request, as client-go's pager does
// (tools/pager, FullListIfExpired).
//
// ahead, if not nil, encodes each verdict for the printer as it is made.
func (l *nodeLister) evaluate(ctx context.Context, c *kube.Clients, selector string, opts nodecheck.Options, ahead *output.Ahead) ([]nodecheck.Report, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel() // stops the reader when judging ends early
	pages := make(chan page, 1)
	go l.read(ctx, nodesClient(c), selector, pages)
	var reports []nodecheck.Report
	for p := range pages {
		switch {
		case p.err != nil:
			return nil, clierr.FromAPI(p.err, clierr.Action{Verb: "list", Resource: "nodes"})
		case p.restart:
			reports = reports[:0]
			ahead.Reset()
		case p.last:
			return reports, nil
		default:
			for i := range p.list.Items {
				reports = append(reports, nodecheck.Evaluate(&p.list.Items[i], opts))
				ahead.Add(&reports[len(reports)-1])
			}
		}
	}
	// The reader stopped before the last page: the context ended (Ctrl-C, --timeout).
	err := ctx.Err()
	if err == nil {
		err = context.Canceled
	}
	return nil, clierr.FromAPI(err, clierr.Action{Verb: "list", Resource: "nodes"})
}

// page is one answer of the reader; a list is complete only when a last page follows.
type page struct {
	list    *corev1.NodeList
	restart bool // the snapshot expired: the pages before are void, a full list follows
	last    bool // every page was sent
	err     error
}

// read sends the pages to out and closes it; it stops when ctx ends.
func (l *nodeLister) read(ctx context.Context, nodes corev1client.NodeInterface, selector string, out chan<- page) {
	defer close(out)
	send := func(p page) bool {
		select {
		case out <- p:
			return true
		case <-ctx.Done():
			return false
		}
	}
	lo := metav1.ListOptions{LabelSelector: selector, Limit: l.ChunkSize}
	for {
		list, err := nodes.List(ctx, lo)
		switch {
		case apierrors.IsResourceExpired(err) && lo.Continue != "":
			lo = metav1.ListOptions{LabelSelector: selector}
			if !send(page{restart: true}) {
				return
			}
			continue
		case err != nil:
			send(page{err: err})
			return
		case !send(page{list: list}):
			return
		case list.Continue == "":
			send(page{last: true})
			return
		}
		lo.Continue = list.Continue
	}
}

// nodesClient reads nodes as protobuf, which the API server sends for every built-in type and
// which decodes several times faster than JSON. Clientsets not built from a config (client-go
// fakes in unit tests) are used as they are.
func nodesClient(c *kube.Clients) corev1client.NodeInterface {
	if _, built := c.Kube.(*kubernetes.Clientset); !built || c.Config == nil {
		return c.Kube.CoreV1().Nodes()
	}
	cfg := rest.CopyConfig(c.Config)
	cfg.AcceptContentTypes = runtime.ContentTypeProtobuf + "," + runtime.ContentTypeJSON
	cfg.ContentType = runtime.ContentTypeProtobuf
	cs, err := corev1client.NewForConfig(cfg)
	if err != nil {
		return c.Kube.CoreV1().Nodes()
	}
	return cs.Nodes()
}
