// Package output prints command results: a table for people (-o wide for more columns) and
// JSON or YAML with a stable, documented schema for scripts; colour follows --color and NO_COLOR.
package output

import (
	"encoding/json"
	"fmt"
	"io"

	"github.com/spf13/cobra"
	"sigs.k8s.io/yaml"
)

// Format is the value of -o.
type Format string

const (
	Human Format = ""
	Wide  Format = "wide"
	JSON  Format = "json"
	YAML  Format = "yaml"
)

// Flags holds -o for one command.
type Flags struct {
	Output string
	// Allowed lists the formats this command prints; the default is all four.
	Allowed []Format
}

// AddFlags registers -o/--output.
func (f *Flags) AddFlags(cmd *cobra.Command) {
	cmd.Flags().StringVarP(&f.Output, "output", "o", "", "output format: wide, json or yaml (default: a table)")
	_ = cmd.RegisterFlagCompletionFunc("output", func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		var out []string
		for _, a := range f.allowed() {
			if a != Human {
				out = append(out, string(a))
			}
		}
		return out, cobra.ShellCompDirectiveNoFileComp
	})
}

func (f *Flags) allowed() []Format {
	if len(f.Allowed) == 0 {
		return []Format{Human, Wide, JSON, YAML}
	}
	return f.Allowed
}

// Format validates and returns the chosen format.
func (f *Flags) Format() (Format, error) {
	for _, a := range f.allowed() {
		if Format(f.Output) == a {
			return a, nil
		}
	}
	var names []string
	for _, a := range f.allowed() {
		if a != Human {
			names = append(names, string(a))
		}
	}
	return "", fmt.Errorf("unknown output format %q: use one of %v", f.Output, names)
}

// Structured reports whether the format is for machines.
func (f Format) Structured() bool { return f == JSON || f == YAML }

// Print writes v as JSON (indented) or YAML.
func Print(w io.Writer, format Format, v any) error {
	switch format {
	case JSON:
		data, err := json.MarshalIndent(v, "", "  ")
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(w, "%s\n", data)
		return err
	case YAML:
		data, err := yaml.Marshal(v)
		if err != nil {
			return err
		}
		_, err = w.Write(data)
		return err
	}
	return fmt.Errorf("format %q is not structured", format)
}
