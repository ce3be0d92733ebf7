package output

import (
	"bytes"
	"testing"
)

// A format printed twice in one process (two commands run in-process) prints the same both
// times: client-go's JSONPath must not be reused across runs.
func TestTheSameJSONPathTwice(t *testing.T) {
	f := Flags{Output: "jsonpath={range .items[*]}{.name} {end}"}
	report := map[string]any{"apiVersion": "v1", "kind": "List", "items": []any{map[string]any{"name": "a"}, map[string]any{"name": "b"}}}
	for i := 0; i < 2; i++ {
		format, err := f.Format()
		if err != nil {
			t.Fatal(err)
		}
		var b bytes.Buffer
		if err := Print(&b, format, report); err != nil || b.String() != "a b " {
			t.Fatalf("run %d: %q %v", i, b.String(), err)
		}
	}
}
