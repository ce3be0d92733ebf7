package output

import (
	"bufio"
	"fmt"
	"io"
	"reflect"
	"strings"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/cli-runtime/pkg/printers"
	"k8s.io/client-go/util/jsonpath"
)

// columnsPrinter is kubectl's -o custom-columns as its documentation describes it (HEADER:PATH
// pairs, a path with or without braces, "<none>" for what is missing, one row per list item).
// Ours rather than k8s.io/kubectl/pkg/cmd/get's: that package's initialisation (its help
// texts, translated and rendered at start-up) took half of every plugin's start-up.
type columnsPrinter struct {
	headers   []string
	paths     []*jsonpath.JSONPath
	noHeaders bool
}

// columnsFromSpec reads "NAME:.name,READY:.ready".
func columnsFromSpec(spec string, noHeaders bool) (*columnsPrinter, error) {
	if spec == "" {
		return nil, fmt.Errorf("custom-columns format specified but no custom columns given")
	}
	p := &columnsPrinter{noHeaders: noHeaders}
	for _, col := range strings.Split(spec, ",") {
		header, path, ok := strings.Cut(col, ":")
		if !ok || header == "" {
			return nil, fmt.Errorf("unexpected custom-columns spec: %s, expected <header>:<json-path-expr>", col)
		}
		if err := p.add(header, path); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// columnsFromFile reads a file of two lines: the headers, then the paths, separated by spaces.
func columnsFromFile(r io.Reader) (*columnsPrinter, error) {
	s := bufio.NewScanner(r)
	var lines [][]string
	for s.Scan() && len(lines) < 2 {
		if f := strings.Fields(s.Text()); len(f) > 0 {
			lines = append(lines, f)
		}
	}
	if err := s.Err(); err != nil {
		return nil, err
	}
	if len(lines) != 2 || len(lines[0]) != len(lines[1]) {
		return nil, fmt.Errorf("custom-columns-file: expected a line of headers and a line of as many paths")
	}
	p := &columnsPrinter{}
	for i, h := range lines[0] {
		if err := p.add(h, lines[1][i]); err != nil {
			return nil, err
		}
	}
	return p, nil
}

func (p *columnsPrinter) add(header, path string) error {
	jp := jsonpath.New(header).AllowMissingKeys(true)
	if err := jp.Parse(relaxed(path)); err != nil {
		return fmt.Errorf("custom-columns: %s: %w", header, err)
	}
	p.headers, p.paths = append(p.headers, header), append(p.paths, jp)
	return nil
}

// relaxed turns ".a.b" or "a.b" into "{.a.b}"; a path in braces stays as it is.
func relaxed(path string) string {
	if strings.HasPrefix(path, "{") {
		return path
	}
	if !strings.HasPrefix(path, ".") {
		path = "." + path
	}
	return "{" + path + "}"
}

// PrintObj prints a row per list item (or one for an object).
func (p *columnsPrinter) PrintObj(obj runtime.Object, w io.Writer) error {
	tw := printers.GetNewTabWriter(w)
	if !p.noHeaders {
		fmt.Fprintln(tw, strings.Join(p.headers, "\t"))
	}
	objs := []runtime.Object{obj}
	if meta.IsListType(obj) {
		items, err := meta.ExtractList(obj)
		if err != nil {
			return err
		}
		objs = items
	}
	for _, o := range objs {
		row, err := p.row(o)
		if err != nil {
			return err
		}
		fmt.Fprintln(tw, strings.Join(row, "\t"))
	}
	return tw.Flush()
}

// printItems prints a row per item of a list report. Items are converted to their JSON form
// on every CPU a round at a time (the conversion is the cost); the paths, which keep state
// while they run (client-go's JSONPath), are evaluated on one goroutine.
func (p *columnsPrinter) printItems(l ItemList, w io.Writer) error {
	tw := printers.GetNewTabWriter(w)
	if !p.noHeaders {
		fmt.Fprintln(tw, strings.Join(p.headers, "\t"))
	}
	if rows := ready(l, aheadRows); rows != nil {
		for _, row := range rows {
			tw.Write([]byte(row.(string)))
		}
		return tw.Flush()
	}
	const round = 512
	contents := make([]map[string]any, round)
	for start := 0; start < l.ListLen(); start += round {
		n := min(round, l.ListLen()-start)
		err := parallel(n, func(i int) error {
			v, err := jsonValue(l.ListItem(start + i))
			contents[i], _ = v.(map[string]any)
			return err
		})
		if err != nil {
			return err
		}
		for _, content := range contents[:n] {
			if content == nil {
				continue // not an object: a list prints the rows of its objects
			}
			row, err := p.rowOf(content)
			if err != nil {
				return err
			}
			fmt.Fprintln(tw, strings.Join(row, "\t"))
		}
	}
	return tw.Flush()
}

func (p *columnsPrinter) row(obj runtime.Object) ([]string, error) {
	content, err := runtime.DefaultUnstructuredConverter.ToUnstructured(obj)
	if err != nil {
		return nil, err
	}
	return p.rowOf(content)
}

func (p *columnsPrinter) rowOf(content map[string]any) ([]string, error) {
	row := make([]string, len(p.paths))
	for i, jp := range p.paths {
		results, err := jp.FindResults(content)
		if err != nil {
			return nil, err
		}
		var vals []string
		for _, set := range results {
			for _, v := range set {
				vals = append(vals, printers.EscapeTerminal(valueText(v))) // as kubectl: no terminal escapes from data
			}
		}
		row[i] = "<none>"
		if len(vals) > 0 {
			row[i] = strings.Join(vals, ",")
		}
	}
	return row, nil
}

func valueText(v reflect.Value) string {
	for v.Kind() == reflect.Interface || v.Kind() == reflect.Pointer {
		if v.IsNil() {
			return "<none>"
		}
		v = v.Elem()
	}
	return fmt.Sprintf("%v", v.Interface())
}
