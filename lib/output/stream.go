package output

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"runtime"
	"strconv"

	"golang.org/x/sync/errgroup"
	"sigs.k8s.io/yaml"
)

// ItemList is a report that is a list of items (and fields beside them, a summary): -o json
// and -o yaml encode it item by item, so the text of a long list is never built whole (issue
// #29: thousands of nodes within twice the memory of one raw LIST). The output is the same,
// byte for byte, as encoding the report at once, given that its items field is never nil
// (the whole would say null); an item that cannot be encoded fails the print after the
// items before it were written.
type ItemList interface {
	// ListShell is the report with an empty, non-nil items list.
	ListShell() any
	ListLen() int
	// ListItem is a pointer to the i-th item, as encoding/json reaches it in the whole
	// (methods with pointer receivers apply).
	ListItem(i int) any
}

// jsonItemsKey is how the items field of a top-level object appears in indented JSON.
const jsonItemsKey = "\n  \"items\": []"

// streamJSON writes l as json.MarshalIndent(l, "", "  ") would, one item at a time.
func streamJSON(w io.Writer, l ItemList) error {
	shell, err := json.MarshalIndent(l.ListShell(), "", "  ")
	if err != nil {
		return err
	}
	at := bytes.Index(shell, []byte(jsonItemsKey))
	if at < 0 {
		return fmt.Errorf("report %T has no top-level items field", l.ListShell())
	}
	at += len(jsonItemsKey) - 1 // just before "]"
	bw := bufio.NewWriter(w)
	bw.Write(shell[:at])
	pre := ready(l, aheadJSON)
	workers := runtime.GOMAXPROCS(0) // once: the runtime may change it while this prints
	emitters := make([]*jsonEmitter, workers)
	err = inOrder(bw, l.ListLen(), workers, func(k, from, to int, b *bytes.Buffer) error {
		if emitters[k] == nil {
			emitters[k] = newJSONEmitter()
		}
		if pre == nil {
			return emitters[k].items(b, l, from, to)
		}
		for i := from; i < to; i++ { // walked ahead
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString("\n    ")
			if err := emitters[k].write(b, pre[i], l.ListItem(i)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	if l.ListLen() > 0 {
		bw.WriteString("\n  ")
	}
	bw.Write(shell[at:])
	bw.WriteByte('\n')
	return bw.Flush()
}

// yamlItemsKey is how an empty items field of a top-level object appears in YAML.
const yamlItemsKey = "items: []\n"

// streamYAML writes l as sigs.k8s.io/yaml.Marshal(l) would, one item at a time: each item is
// encoded as the only item of a top-level items list, at the depth it has in the whole.
func streamYAML(w io.Writer, l ItemList) error {
	shell, err := yaml.Marshal(l.ListShell())
	if err != nil {
		return err
	}
	at := 0 // the line "items: []" at the top level: first, or after a line break
	if !bytes.HasPrefix(shell, []byte(yamlItemsKey)) {
		if at = bytes.Index(shell, []byte("\n"+yamlItemsKey)); at < 0 {
			return fmt.Errorf("report %T has no top-level items field", l.ListShell())
		}
		at++
	}
	if l.ListLen() == 0 {
		_, err := w.Write(shell)
		return err
	}
	bw := bufio.NewWriter(w)
	bw.Write(shell[:at])
	bw.WriteString("items:\n")
	workers := runtime.GOMAXPROCS(0) // once: the runtime may change it while this prints
	emitters := make([]*yamlEmitter, workers)
	for k := range emitters {
		emitters[k] = newYAMLEmitter()
	}
	err = inOrder(bw, l.ListLen(), workers, func(k, from, to int, b *bytes.Buffer) error {
		return emitters[k].items(b, l, from, to)
	})
	if err != nil {
		return err
	}
	bw.Write(shell[at+len(yamlItemsKey):])
	return bw.Flush()
}

// yamlItem is sigs.k8s.io/yaml.Marshal of {"items": [item]}: the item as the whole report's
// YAML has it, since its JSON is the same text (what the emitter leaves to go-yaml).
func yamlItem(item any) ([]byte, error) {
	return yaml.Marshal(map[string]any{"items": []any{item}})
}

// typeNumbers replaces json.Numbers with int64, uint64 or float64, as go-yaml resolves them
// (go.yaml.in/yaml/v2 v2.4.4 resolve.go: ParseInt, then ParseUint, then a float).
func typeNumbers(v any) any {
	switch t := v.(type) {
	case map[string]any:
		for k, e := range t {
			t[k] = typeNumbers(e)
		}
	case []any:
		for i, e := range t {
			t[i] = typeNumbers(e)
		}
	case json.Number:
		if n, err := strconv.ParseInt(string(t), 10, 64); err == nil {
			return n
		}
		if n, err := strconv.ParseUint(string(t), 10, 64); err == nil {
			return n
		}
		if f, err := t.Float64(); err == nil {
			return f
		}
		return string(t)
	}
	return v
}

// inOrder encodes items 0..n-1 with enc on every CPU, a block of items [from, to) per
// goroutine, and writes the blocks to w in order; memory holds one round of blocks. enc is
// given which of the workers goroutines runs it (k), so that it can keep state per goroutine.
func inOrder(w io.Writer, n, workers int, enc func(k, from, to int, b *bytes.Buffer) error) error {
	const block = 64
	bufs := make([]bytes.Buffer, workers)
	for start := 0; start < n; start += block * len(bufs) {
		var g errgroup.Group
		for k := range bufs {
			from := start + k*block
			bufs[k].Reset()
			if from >= n {
				continue
			}
			g.Go(func() error { return enc(k, from, min(from+block, n), &bufs[k]) })
		}
		if err := g.Wait(); err != nil {
			return err
		}
		for k := range bufs {
			if _, err := w.Write(bufs[k].Bytes()); err != nil {
				return err
			}
		}
	}
	return nil
}

// parallel runs fn for 0..n-1 on every CPU, in blocks of consecutive indexes.
func parallel(n int, fn func(i int) error) error {
	return parallelBlocks(n, func(from, to int) error {
		for i := from; i < to; i++ {
			if err := fn(i); err != nil {
				return err
			}
		}
		return nil
	})
}

// parallelBlocks runs fn on every CPU, each on a block [from, to) of 0..n-1.
func parallelBlocks(n int, fn func(from, to int) error) error {
	workers := runtime.GOMAXPROCS(0)
	per := (n + workers - 1) / max(workers, 1)
	var g errgroup.Group
	for from := 0; from < n; from += per {
		g.Go(func() error { return fn(from, min(from+per, n)) })
	}
	return g.Wait()
}
