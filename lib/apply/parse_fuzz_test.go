package apply

import (
	"strings"
	"testing"
)

// FuzzParse: manifests come from downloaded operator sources and rendered charts. Parse never
// panics, and every object it returns has a kind and a name.
func FuzzParse(f *testing.F) {
	f.Add([]byte("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: demo\n---\n\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: x, namespace: demo}\n"))
	f.Add([]byte(`{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p"}}`))
	f.Add([]byte("kind: [unclosed\n"))
	f.Add([]byte("---\n---\n"))
	f.Add([]byte("a: &a [*a, *a]\nb: *a\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		objs, err := Parse(data)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "manifest ") {
				t.Fatalf("error does not name the manifest: %v", err)
			}
			return
		}
		for _, o := range objs {
			if o.GetKind() == "" || o.GetName() == "" {
				t.Fatalf("object without kind or name: %v", o.Object)
			}
		}
	})
}

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		in      string
		objects int
		err     string
	}{
		{"apiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n---\n---\napiVersion: v1\nkind: Namespace\nmetadata: {name: b}\n", 2, ""},
		{"", 0, ""},
		{"apiVersion: v1\nkind: Namespace\n", 0, "manifest 1 has no kind or name"},
		{"apiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n---\nkind: [x\n", 0, "manifest 2"},
	} {
		objs, err := Parse([]byte(tc.in))
		if (tc.err == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tc.err)) || len(objs) != tc.objects {
			t.Errorf("%q: %d objects, %v", tc.in, len(objs), err)
		}
	}
}
