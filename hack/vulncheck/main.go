// Command vulncheck reads govulncheck's JSON stream (govulncheck -format json) on stdin and fails
// when the shipped code calls a known-vulnerable function, except for advisories listed in the
// ignore file with a reason. govulncheck itself has no way to record a reviewed false positive.
//
//	govulncheck -db file://DB -format json ./plugins/... ./lib/... | go run ./hack/vulncheck hack/vulncheck/ignore.txt
package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
)

type frame struct {
	Module   string `json:"module"`
	Version  string `json:"version"`
	Package  string `json:"package"`
	Function string `json:"function"`
}

type message struct {
	Finding *struct {
		OSV          string  `json:"osv"`
		FixedVersion string  `json:"fixed_version"`
		Trace        []frame `json:"trace"`
	} `json:"finding"`
	OSV *struct {
		ID      string `json:"id"`
		Summary string `json:"summary"`
	} `json:"osv"`
}

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: govulncheck -format json ... | vulncheck IGNORE-FILE")
		os.Exit(2)
	}
	ignored, err := readIgnore(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	called, summaries, err := calledFindings(os.Stdin)
	if err != nil {
		fmt.Fprintln(os.Stderr, "vulncheck:", err)
		os.Exit(2)
	}
	ids := make([]string, 0, len(called))
	for id := range called {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	failed := 0
	for _, id := range ids {
		f := called[id]
		where := f.Module + "@" + f.Version
		if reason, ok := ignored[id]; ok {
			fmt.Printf("ignored  %s %s (%s): %s\n", id, where, summaries[id], reason)
			continue
		}
		failed++
		fix := "no fixed version yet"
		if f.Fixed != "" {
			fix = "fixed in " + f.Fixed
		}
		fmt.Printf("VULN     %s %s, called as %s.%s: %s; %s\n", id, where, f.Package, f.Function, summaries[id], fix)
	}
	for id := range ignored {
		if _, ok := called[id]; !ok {
			fmt.Printf("note     %s is in %s but no longer found: remove it\n", id, os.Args[1])
		}
	}
	if failed > 0 {
		fmt.Printf("%d called vulnerabilities: upgrade the module (or the Go toolchain for the standard library)\n", failed)
		os.Exit(1)
	}
	fmt.Printf("no called vulnerabilities (%d reviewed and ignored)\n", len(called))
}

type hit struct{ Module, Version, Package, Function, Fixed string }

// calledFindings keeps the findings whose trace reaches a function: govulncheck also reports
// vulnerable modules and packages that are merely imported.
func calledFindings(r io.Reader) (map[string]hit, map[string]string, error) {
	called := map[string]hit{}
	summaries := map[string]string{}
	dec := json.NewDecoder(bufio.NewReader(r))
	for {
		var m message
		if err := dec.Decode(&m); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			return nil, nil, err
		}
		if m.OSV != nil {
			summaries[m.OSV.ID] = m.OSV.Summary
		}
		if f := m.Finding; f != nil && len(f.Trace) > 0 && f.Trace[0].Function != "" {
			t := f.Trace[0]
			called[f.OSV] = hit{Module: t.Module, Version: t.Version, Package: t.Package, Function: t.Function, Fixed: f.FixedVersion}
		}
	}
	return called, summaries, nil
}

// readIgnore reads "ID reason..." lines; # starts a comment.
func readIgnore(path string) (map[string]string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	for n, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		id, reason, ok := strings.Cut(line, " ")
		if !ok || strings.TrimSpace(reason) == "" {
			return nil, fmt.Errorf("%s:%d: want \"ID reason\", got %q", path, n+1, line)
		}
		out[id] = strings.TrimSpace(reason)
	}
	return out, nil
}
