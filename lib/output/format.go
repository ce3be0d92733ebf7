// Package output prints command results: a table for people (-o wide for more columns,
// --no-headers to drop the header line) and, for scripts, kubectl's machine formats on a stable,
// documented schema: json, yaml, name, jsonpath, go-template and custom-columns (the last three
// through cli-runtime's and kubectl's own printers). Colour follows --color and NO_COLOR.
package output

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"
	"sigs.k8s.io/yaml"
)

// Format is the value of -o as the user gave it ("json", "jsonpath={.items[*].name}", ...).
type Format string

const (
	Human Format = ""
	Wide  Format = "wide"
	JSON  Format = "json"
	YAML  Format = "yaml"
	Name  Format = "name"
)

// templateKinds are kubectl's -o formats that take an argument after "=" (kubectl get).
var templateKinds = []string{"jsonpath", "jsonpath-as-json", "jsonpath-file", "go-template", "go-template-file",
	"template", "templatefile", "custom-columns", "custom-columns-file"}

// noHeadersSuffix marks a custom-columns format given with --no-headers. Users cannot write it:
// Kind rejects kinds outside kubectl's list.
const noHeadersSuffix = "+no-headers"

// Kind is the format's name without its argument.
func (f Format) Kind() string {
	k, _, _ := strings.Cut(string(f), "=")
	return strings.TrimSuffix(k, noHeadersSuffix)
}

func (f Format) arg() string {
	_, a, _ := strings.Cut(string(f), "=")
	return a
}

// Structured reports whether the format is for machines (anything but the tables).
func (f Format) Structured() bool { return f != Human && f != Wide }

// Flags holds -o and --no-headers for one command.
type Flags struct {
	Output    string
	NoHeaders bool
	// Allowed lists the table formats this command prints (Human, Wide) and, with JSON, all of
	// the machine formats; the default is all of them.
	Allowed []Format
	// Named offers -o name: the report names kubectl objects (its type implements Namer, or it
	// is a list of API objects). Reports that name no object do not offer it.
	Named bool
}

// AddFlags registers -o/--output and --no-headers.
func (f *Flags) AddFlags(cmd *cobra.Command) {
	cmd.Flags().StringVarP(&f.Output, "output", "o", "", "output format: "+strings.Join(f.names(), ", ")+" (default: a table)")
	cmd.Flags().BoolVar(&f.NoHeaders, "no-headers", false, "print tables (and custom-columns) without the header line")
	_ = cmd.RegisterFlagCompletionFunc("output", func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		var out []string
		for _, n := range f.names() {
			if strings.HasSuffix(n, "=...") {
				out = append(out, strings.TrimSuffix(n, "..."))
			} else {
				out = append(out, n)
			}
		}
		return out, cobra.ShellCompDirectiveNoFileComp | cobra.ShellCompDirectiveNoSpace
	})
}

func (f *Flags) allows(k Format) bool {
	if k == Name && !f.Named {
		return false
	}
	if len(f.Allowed) == 0 {
		return true
	}
	for _, a := range f.Allowed {
		if a == k || (a == JSON && k.Structured()) {
			return true
		}
	}
	return false
}

// names lists the formats for help and messages.
func (f *Flags) names() []string {
	var out []string
	for _, k := range []Format{Wide, JSON, YAML, Name} {
		if f.allows(k) {
			out = append(out, string(k))
		}
	}
	if f.allows(JSON) {
		for _, k := range templateKinds {
			out = append(out, k+"=...")
		}
	}
	return out
}

// parse checks that -o names a format this command prints.
func (f *Flags) parse() (Format, error) {
	format := Format(f.Output)
	known := format == Human || format == Wide || format == JSON || format == YAML || format == Name
	for _, k := range templateKinds {
		if strings.HasPrefix(f.Output, k+"=") {
			known = true
		}
	}
	if !known || !f.allows(format) {
		hint := ""
		for _, k := range templateKinds {
			if f.Output == k {
				hint = fmt.Sprintf(" (%s needs an argument: -o %s=...)", k, k)
			}
		}
		return "", fmt.Errorf("unknown output format %q%s: use one of %s", f.Output, hint, strings.Join(f.names(), ", "))
	}
	if f.NoHeaders && strings.HasPrefix(format.Kind(), "custom-columns") {
		format = Format(format.Kind() + noHeadersSuffix + "=" + format.arg())
	}
	return format, nil
}

// Print writes v (a report: a struct with apiVersion and kind) in the format.
func Print(w io.Writer, format Format, v any) error {
	if l, ok := v.(ItemList); ok && (format == JSON || format == YAML) {
		if format == JSON {
			return streamJSON(w, l)
		}
		return streamYAML(w, l)
	}
	switch format {
	case JSON:
		data, err := json.MarshalIndent(v, "", "  ")
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(w, "%s\n", data)
		return err
	case YAML:
		if d, ok := v.(Document); ok {
			data, err := d.YAMLDocument()
			if err == nil {
				_, err = w.Write(data)
			}
			return err
		}
		data, err := yaml.Marshal(v)
		if err != nil {
			return err
		}
		_, err = w.Write(data)
		return err
	case Name:
		return printNames(w, v)
	case Human, Wide:
		return fmt.Errorf("format %q is not structured", format)
	}
	return printTemplate(w, format, v)
}

// FormatFix is the fix for a bad -o.
const FormatFix = `e.g. -o json, -o yaml, -o name, -o jsonpath='{.items[*].name}' or -o custom-columns=NAME:.name`
