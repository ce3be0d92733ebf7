package gardenconfig

import (
	"testing"
)

// FuzzParse: any input either fails with an error or parses into a config that renders and
// parses again to the same gardens.
func FuzzParse(f *testing.F) {
	f.Add([]byte(withUnknown))
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
		if len(again.Gardens) != len(c.Gardens) {
			t.Fatalf("gardens %d -> %d", len(c.Gardens), len(again.Gardens))
		}
		for i := range c.Gardens {
			if again.Gardens[i].Identity != c.Gardens[i].Identity || again.Gardens[i].Kubeconfig != c.Gardens[i].Kubeconfig {
				t.Fatalf("garden %d changed: %+v -> %+v", i, c.Gardens[i], again.Gardens[i])
			}
		}
	})
}
