package output

import (
	"fmt"
	"io"
	"os"
	"reflect"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/cli-runtime/pkg/printers"
)

// buildPrinter builds the printer with kubectl's own flags' behaviour (missing keys allowed,
// jsonpath-as-json, files).
func buildPrinter(format Format) (printers.ResourcePrinter, error) {
	kind, arg := format.Kind(), format.arg()
	switch kind {
	case "jsonpath", "jsonpath-as-json", "jsonpath-file":
		allow := true
		return (&genericclioptions.JSONPathPrintFlags{TemplateArgument: &arg, AllowMissingKeys: &allow}).ToPrinter(kind)
	case "go-template", "go-template-file", "template", "templatefile":
		return newGoTemplatePrinter(kind, arg)
	case "custom-columns":
		return columnsFromSpec(arg, strings.Contains(string(format), noHeadersSuffix))
	case "custom-columns-file":
		f, err := os.Open(arg)
		if err != nil {
			return nil, fmt.Errorf("custom-columns-file: %w", err)
		}
		defer f.Close()
		p, err := columnsFromFile(f)
		if err == nil && strings.Contains(string(format), noHeadersSuffix) {
			p.noHeaders = true
		}
		return p, err
	}
	return nil, fmt.Errorf("unknown output format %q", format)
}

// asObject turns a report into the unstructured object its JSON is, so the printers see the
// documented schema; a report with items is a list whose items are the objects.
func asObject(v any) (runtime.Object, error) {
	m, err := jsonMap(v)
	if err != nil {
		return nil, err
	}
	u := &unstructured.Unstructured{Object: m}
	if _, ok := m["items"].([]any); ok {
		list := &unstructured.UnstructuredList{Object: map[string]any{}}
		for k, val := range m {
			if k != "items" {
				list.Object[k] = val
			}
		}
		for _, it := range m["items"].([]any) {
			if im, ok := it.(map[string]any); ok {
				list.Items = append(list.Items, unstructured.Unstructured{Object: im})
			}
		}
		if list.Items == nil {
			list.Items = []unstructured.Unstructured{}
		}
		return &listWithFields{UnstructuredList: list, full: u}, nil
	}
	return u, nil
}

// jsonMap is the report's JSON as a map; an ItemList is converted item by item, so its whole
// JSON text never sits in memory beside the map.
func jsonMap(v any) (map[string]any, error) { return reportMap(v, walker{}) }

// kubeMap is jsonMap with numbers as apimachinery's JSON decoding types them (kubeValue).
func kubeMap(v any) (map[string]any, error) { return reportMap(v, walker{kube: true}) }

func reportMap(v any, w walker) (map[string]any, error) {
	l, list := v.(ItemList)
	if list {
		v = l.ListShell()
	}
	m, err := w.walk(reflect.ValueOf(v))
	if err != nil {
		return nil, fmt.Errorf("the report is not an object: %w", err)
	}
	obj, ok := m.(map[string]any)
	if !ok || obj == nil {
		return nil, fmt.Errorf("the report is not an object: %s", jsonKind(m))
	}
	if !list {
		return obj, nil
	}
	items := make([]any, l.ListLen())
	err = parallelBlocks(len(items), func(from, to int) (err error) {
		w := w
		w.in = newInterner() // the whole report is kept: what repeats is kept once
		for i := from; i < to && err == nil; i++ {
			items[i], err = w.root(l.ListItem(i))
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	obj["items"] = items
	return obj, nil
}

// listWithFields is a list for custom-columns (which prints its items) that jsonpath and
// templates still see whole (summary fields included), as they see kubectl's lists.
type listWithFields struct {
	*unstructured.UnstructuredList
	full *unstructured.Unstructured
}

func printTemplate(w io.Writer, format Format, v any) error {
	p, err := buildPrinter(format)
	if err != nil {
		return err
	}
	return printWith(p, w, format, v)
}

// printWith prints the report's object with a built template printer.
func printWith(p printers.ResourcePrinter, w io.Writer, format Format, v any) error {
	if cp, ok := p.(*columnsPrinter); ok {
		if l, ok := v.(ItemList); ok {
			return cp.printItems(l, w)
		}
	}
	if gp, ok := p.(*goTemplatePrinter); ok {
		return gp.print(w, v)
	}
	obj, err := asObject(v)
	if err != nil {
		return err
	}
	if l, ok := obj.(*listWithFields); ok {
		if strings.HasPrefix(format.Kind(), "custom-columns") {
			return p.PrintObj(l.UnstructuredList, w)
		}
		obj = l.full
	}
	return p.PrintObj(obj, w)
}

// Namer is a report that says what -o name prints for it (kubectl's resource/name lines).
type Namer interface {
	ObjectNames() []string
}

// printNames prints kubectl's "resource/name" lines: what the report names, else
// <kind>/<name> of each item (the list's kind without "List"), else of the report.
func printNames(w io.Writer, v any) error {
	var names []string
	if n, ok := v.(Namer); ok {
		names = n.ObjectNames()
	} else {
		obj, err := asObject(v)
		if err != nil {
			return err
		}
		names = derivedNames(obj)
		if _, list := obj.(*listWithFields); !list && len(names) == 0 {
			return fmt.Errorf("-o name: this report has no name; use -o jsonpath=... or -o json")
		}
	}
	for _, n := range names {
		if _, err := fmt.Fprintln(w, n); err != nil {
			return err
		}
	}
	return nil
}

func derivedNames(obj runtime.Object) []string {
	if l, ok := obj.(*listWithFields); ok {
		kind := strings.ToLower(strings.TrimSuffix(l.full.GetKind(), "List"))
		var out []string
		for _, it := range l.Items {
			if n, ok := it.Object["name"].(string); ok && n != "" {
				out = append(out, kind+"/"+n)
			} else if it.GetKind() != "" && it.GetName() != "" {
				out = append(out, resourceName(&it))
			}
		}
		return out
	}
	u := obj.(*unstructured.Unstructured)
	if n, _ := u.Object["name"].(string); n != "" {
		return []string{strings.ToLower(u.GetKind()) + "/" + n}
	}
	if u.GetName() == "" {
		return nil
	}
	return []string{resourceName(u)}
}

// resourceName is kubectl's -o name of an API object: kind.group/name ("deployment.apps/demo").
func resourceName(u *unstructured.Unstructured) string {
	kind := strings.ToLower(u.GetKind())
	if g := u.GroupVersionKind().Group; g != "" {
		kind += "." + g
	}
	return kind + "/" + u.GetName()
}

// jsonKind names what a decoded JSON value is, for an error.
func jsonKind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case []any:
		return "an array"
	case string:
		return "a string"
	case bool:
		return "a boolean"
	}
	return "a number"
}
