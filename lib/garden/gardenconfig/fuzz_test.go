package gardenconfig

import (
	"testing"
)

// FuzzParse: any input either fails with an error or parses into a config that renders and
// parses again to the same gardens, problems and warnings.
func FuzzParse(f *testing.F) {
	for _, name := range []string{"gardenctl-written.yaml", "hand-written.yaml"} {
		f.Add(fixture(f, name))
	}
	f.Add([]byte("gardens:\n- identity: fg1\n  kubeconfig: /k\n"))
	f.Add([]byte("gardens: [\n"))
	f.Add([]byte("- a\n"))
	f.Add([]byte{0xff, 0x00, '\n'})
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Parse(data)
		if err != nil {
			return
		}
		out, err := c.Marshal()
		if err != nil {
			t.Fatalf("a parsed config does not render: %v", err)
		}
		again, err := Parse(out)
		if err != nil {
			t.Fatalf("rendered config does not parse: %v\n%s", err, out)
		}
		if len(again.Gardens) != len(c.Gardens) || len(again.Problems) != len(c.Problems) || len(again.Warnings) != len(c.Warnings) {
			t.Fatalf("gardens %d -> %d", len(c.Gardens), len(again.Gardens))
		}
		for i := range c.Gardens {
			if again.Gardens[i].Identity != c.Gardens[i].Identity || again.Gardens[i].Kubeconfig != c.Gardens[i].Kubeconfig {
				t.Fatalf("garden %d changed: %+v -> %+v", i, c.Gardens[i], again.Gardens[i])
			}
		}
	})
}
