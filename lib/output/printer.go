package output

import (
	"fmt"
	"io"
	"reflect"
	"strings"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/cli-runtime/pkg/printers"

	"github.com/osc-coco/kubectl-plugins/lib/clierr"
)

// Printer prints one kind of report in the format -o asked for: the command's own table for
// people (Human, Wide), or json, yaml, name and kubectl's templates on the report's documented
// schema. A command resolves it once in Complete (ToPrinter, as kubectl's PrintFlags.ToPrinter)
// and keeps it on its Options; Run ends with one Print.
type Printer[R any] struct {
	format Format
	human  func(w io.Writer, r R) error
	tmpl   printers.ResourcePrinter // a template printer built by ToPrinter, for the first Print
}

// ToPrinter validates -o and builds the printer (a template parsed, a template file read, once);
// human prints the table (w is the command's stdout). A bad -o is a usage error.
func ToPrinter[R any](f *Flags, human func(w io.Writer, r R) error) (*Printer[R], error) {
	format, err := f.parse()
	if err != nil {
		return nil, clierr.Usagef(FormatFix, "%v", err)
	}
	if format == Name && !namesObjects[R]() {
		return nil, fmt.Errorf("-o name offered for %s, which names no object (implement output.Namer)", reflect.TypeFor[R]())
	}
	p := &Printer[R]{format: format, human: human}
	if format.Structured() && format != JSON && format != YAML && format != Name {
		if p.tmpl, err = buildPrinter(format); err != nil {
			return nil, clierr.Usagef(FormatFix, "%v", err)
		}
	}
	return p, nil
}

// namesObjects says whether a report of type R can be printed with -o name: it says its names
// (Namer), or it is API objects kubectl names.
func namesObjects[R any]() bool {
	t := reflect.TypeFor[R]()
	namer := reflect.TypeFor[Namer]()
	if t.Implements(namer) || reflect.PointerTo(t).Implements(namer) {
		return true
	}
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	// API objects and their apply configurations carry kind and metadata.name.
	apiType := strings.HasPrefix(t.PkgPath(), "k8s.io/")
	return apiType || t.Kind() == reflect.Slice || t.Kind() == reflect.Map || t.Kind() == reflect.Interface || reflect.PointerTo(t).Implements(reflect.TypeFor[runtime.Object]())
}

// Format is the resolved -o.
func (p *Printer[R]) Format() Format { return p.format }

// Structured says whether the output is for a script (anything but the tables).
func (p *Printer[R]) Structured() bool { return p.format.Structured() }

// Document is a report whose YAML is a document of its own (a rendered manifest, as helm
// template prints it) rather than the report's fields.
type Document interface {
	YAMLDocument() ([]byte, error)
}

// Print writes the report. A template printer is used once: client-go's JSONPath keeps state
// between runs (a second {range} fails), so a second Print builds its own.
func (p *Printer[R]) Print(w io.Writer, r R) error {
	switch {
	case !p.format.Structured():
		return p.human(w, r)
	case p.tmpl != nil:
		t := p.tmpl
		p.tmpl = nil
		return printWith(t, w, p.format, r)
	}
	return Print(w, p.format, r)
}
