package output

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"reflect"
	"text/template"

	"k8s.io/apimachinery/pkg/runtime"
	utiljson "k8s.io/apimachinery/pkg/util/json"
)

// goTemplatePrinter is kubectl's -o go-template (cli-runtime v0.36's GoTemplatePrinter and
// GoTemplatePrintFlags: the same parsing, functions, options and messages) run on the report's
// values built by walking it (kubeMap), where cli-runtime writes the report's JSON and parses it
// back into maps: at 5,000 nodes that was most of the time (issue #29 item 4). A test holds its
// output to cli-runtime's printer's.
type goTemplatePrinter struct {
	raw string
	t   *template.Template
}

// newGoTemplatePrinter parses -o go-template=TEXT or go-template-file=FILE (and their
// aliases template, templatefile), as GoTemplatePrintFlags.ToPrinter does; missing keys are
// allowed, kubectl's default.
func newGoTemplatePrinter(kind, arg string) (*goTemplatePrinter, error) {
	if arg == "" {
		return nil, errors.New("template format specified but no template given")
	}
	text := arg
	if kind == "templatefile" || kind == "go-template-file" {
		data, err := os.ReadFile(arg)
		if err != nil {
			return nil, fmt.Errorf("error reading --template %s, %v", arg, err)
		}
		text = string(data)
	}
	t, err := template.New("output").Funcs(template.FuncMap{"exists": exists, "base64decode": base64decode}).Parse(text)
	if err != nil {
		return nil, fmt.Errorf("error parsing template %s, %v", text, err)
	}
	t.Option("missingkey=default")
	return &goTemplatePrinter{raw: text, t: t}, nil
}

// print runs the template on the report.
func (p *goTemplatePrinter) print(w io.Writer, v any) error {
	data, err := kubeMap(v)
	if err != nil {
		return err
	}
	if err := p.execute(w, data); err != nil {
		raw, _ := json.Marshal(v) // only for the message, as cli-runtime prints it
		fmt.Fprintf(w, "Error executing template: %v. Printing more information for debugging the template:\n", err)
		fmt.Fprintf(w, "\ttemplate was:\n\t\t%v\n", p.raw)
		fmt.Fprintf(w, "\traw data was:\n\t\t%v\n", string(raw))
		fmt.Fprintf(w, "\tobject given to template engine was:\n\t\t%+v\n\n", data)
		return fmt.Errorf("error executing template %q: %v", p.raw, err)
	}
	return nil
}

// PrintObj runs the template on an object's JSON (printers.ResourcePrinter).
func (p *goTemplatePrinter) PrintObj(obj runtime.Object, w io.Writer) error {
	data, err := json.Marshal(obj)
	if err != nil {
		return err
	}
	out := map[string]any{}
	if err := utiljson.Unmarshal(data, &out); err != nil {
		return err
	}
	return p.execute(w, out)
}

// execute runs the template, a panic in it being an error.
func (p *goTemplatePrinter) execute(w io.Writer, data any) (err error) {
	defer func() {
		if x := recover(); x != nil {
			err = fmt.Errorf("caught panic: %+v", x)
		}
	}()
	return p.t.Execute(w, data)
}

// exists says whether data holds something non-nil at the path of indices (slice or string
// positions, map keys): the go-template function kubectl offers, with its answers (a missing
// key of a map of non-pointer values is its zero value, so it "exists").
func exists(data any, indices ...any) bool {
	v := reflect.ValueOf(data)
	for _, i := range indices {
		var isNil bool
		if v, isNil = indirect(v); isNil {
			return false
		}
		index := reflect.ValueOf(i)
		switch v.Kind() {
		case reflect.Array, reflect.Slice, reflect.String:
			n, ok := position(index)
			if !ok || n < 0 || n >= int64(v.Len()) {
				return false
			}
			v = v.Index(int(n))
		case reflect.Map:
			if !index.IsValid() {
				index = reflect.Zero(v.Type().Key())
			}
			if !index.Type().AssignableTo(v.Type().Key()) {
				return false
			}
			if x := v.MapIndex(index); x.IsValid() {
				v = x
			} else {
				v = reflect.Zero(v.Type().Elem())
			}
		default:
			return false
		}
	}
	_, isNil := indirect(v)
	return !isNil
}

// indirect follows pointers and empty interfaces, as text/template does; isNil at a nil one.
func indirect(v reflect.Value) (reflect.Value, bool) {
	for ; v.Kind() == reflect.Pointer || v.Kind() == reflect.Interface; v = v.Elem() {
		if v.IsNil() {
			return v, true
		}
		if v.Kind() == reflect.Interface && v.NumMethod() > 0 {
			break
		}
	}
	return v, false
}

func position(index reflect.Value) (int64, bool) {
	switch index.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return index.Int(), true
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return int64(index.Uint()), true
	}
	return 0, false
}

func base64decode(v string) (string, error) {
	data, err := base64.StdEncoding.DecodeString(v)
	if err != nil {
		return "", fmt.Errorf("base64 decode failed: %v", err)
	}
	return string(data), nil
}
