package clitest

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"testing"

	"github.com/osc-coco/kubectl-plugins/lib/report"
)

// reportAPIVersion is the apiVersion of every report of the collection (docs/report-schema.md).
var reportAPIVersion = regexp.MustCompile(`^[a-z]+\.osc-coco\.io/v1alpha1$`)

// countAsText is "1/1": counts are numbers in reports.
var countAsText = regexp.MustCompile(`^\d+/\d+$`)

// CheckReport holds one command's -o json to the collection's report schema
// (docs/report-schema.md): apiVersion and kind; items (an object with a status and a detail,
// or a shoot and a status) speak the one status vocabulary; items are named by "name", never
// "id"; counts are numbers, not "1/1". API objects (a v1 List, as dry runs print) are kubectl's
// schema, not ours, and are not held to it.
func CheckReport(t *testing.T, what string, data []byte) {
	t.Helper()
	var doc map[string]any
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Errorf("%s: -o json is not a JSON object: %v\n%.300s", what, err, data)
		return
	}
	av, _ := doc["apiVersion"].(string)
	if kind, _ := doc["kind"].(string); kind == "" {
		t.Errorf("%s: the report has no kind", what)
	}
	if !reportAPIVersion.MatchString(av) {
		if av == "v1" || av == "" {
			t.Errorf("%s: apiVersion %q is not a report's (<plugin>.osc-coco.io/v1alpha1)", what, av)
		}
		return // an API object or list
	}
	for _, p := range schemaProblems(doc, "") {
		t.Errorf("%s: %s", what, p)
	}
}

func schemaProblems(v any, path string) []string {
	var out []string
	switch x := v.(type) {
	case map[string]any:
		if _, ok := x["id"]; ok {
			out = append(out, path+": key \"id\" (items are named by \"name\")")
		}
		st, isString := x["status"].(string)
		_, hasDetail := x["detail"]
		_, hasShoot := x["shoot"]
		if isString && (hasDetail || hasShoot) && !slices.Contains(report.Statuses, report.Status(st)) {
			out = append(out, fmt.Sprintf("%s.status: %q is not one of %v", path, st, report.Statuses))
		}
		for k, e := range x {
			out = append(out, schemaProblems(e, path+"."+k)...)
		}
	case []any:
		for i, e := range x {
			out = append(out, schemaProblems(e, fmt.Sprintf("%s[%d]", path, i))...)
		}
	case string:
		if countAsText.MatchString(x) {
			out = append(out, fmt.Sprintf("%s: %q is a count as text (use numbers: {ready, desired})", path, x))
		}
	}
	return out
}

// ReportCase is one command line whose -o json a plugin's schema test checks, and the exit
// codes its verdict may have (0, or 1 for a negative verdict: never 2).
type ReportCase struct {
	Args    []string
	Factory *Factory
}
