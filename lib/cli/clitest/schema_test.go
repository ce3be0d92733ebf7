package clitest

import (
	"encoding/json"
	"strings"
	"testing"
)

// The schema check finds each kind of drift it is there for.
func TestSchemaProblems(t *testing.T) {
	for doc, want := range map[string]string{
		`{"checks":[{"id":"cpu","status":"pass","detail":"x"}]}`:         `key "id"`,
		`{"hops":[{"name":"trustee","status":"ok","detail":"x"}]}`:       `"ok" is not one of`,
		`{"items":[{"shoot":"a","status":"hibernated"}]}`:                `"hibernated" is not one of`,
		`{"deployments":{"kbs":"1/1"}}`:                                  "count as text",
		`{"checks":[{"name":"cpu","status":"unknown","detail":"x"}]}`:    "",
		`{"conditions":[{"type":"Ready","status":"True","reason":"x"}]}`: "",
	} {
		var v any
		if err := json.Unmarshal([]byte(doc), &v); err != nil {
			t.Fatal(err)
		}
		got := strings.Join(schemaProblems(v, ""), "; ")
		if (want == "") != (got == "") || !strings.Contains(got, want) {
			t.Errorf("%s: %q, want %q", doc, got, want)
		}
	}
}
