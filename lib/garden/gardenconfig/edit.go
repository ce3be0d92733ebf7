package gardenconfig

import (
	"go.yaml.in/yaml/v3"
)

// Change is what set-garden changes of a garden: nil fields are left as they are, "" (or an
// empty list) removes the field, as gardenctl-v2 "config set-garden" does.
type Change struct {
	Alias, Kubeconfig, Context *string
	Patterns                   *[]string
	ShootAccessLevel           *string // kubeconfigAccessLevelDefaults.shoots
	SeedAccessLevel            *string // kubeconfigAccessLevelDefaults.seeds
}

// SetGarden adds the garden with this identity or changes the given fields of it; every other
// field of the entry and of the file is kept. It reports whether the garden is new and whether
// anything changed.
func (c *Config) SetGarden(identity string, ch Change) (created, changed bool) {
	root := c.doc.Content[0]
	gardens := lookup(root, "gardens")
	if gardens == nil || gardens.Kind != yaml.SequenceNode {
		gardens = &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq"}
		setKey(root, "gardens", gardens)
	}
	var entry *yaml.Node
	for _, n := range gardens.Content {
		if id := lookup(n, "identity"); id != nil && id.Value == identity {
			entry = n
			break
		}
	}
	if entry == nil {
		entry = &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
		setKey(entry, "identity", scalar(identity))
		gardens.Content = append(gardens.Content, entry)
		created, changed = true, true
	}
	for _, f := range []struct {
		key string
		val *string
	}{{"name", ch.Alias}, {"kubeconfig", ch.Kubeconfig}, {"context", ch.Context}} {
		changed = setScalar(entry, f.key, f.val) || changed
	}
	if ch.Patterns != nil {
		changed = setList(entry, "patterns", *ch.Patterns) || changed
	}
	if ch.ShootAccessLevel != nil || ch.SeedAccessLevel != nil {
		changed = setAccessLevels(entry, ch.ShootAccessLevel, ch.SeedAccessLevel) || changed
	}
	_ = c.read() // the tree stays a valid config: only scalars and lists of scalars were set
	return created, changed
}

// setAccessLevels sets kubeconfigAccessLevelDefaults and removes it when both scopes end up
// empty, as gardenctl's applyAccessLevelFlags does.
func setAccessLevels(entry *yaml.Node, shoots, seeds *string) bool {
	m := lookup(entry, "kubeconfigAccessLevelDefaults")
	if m == nil || m.Kind != yaml.MappingNode {
		if (shoots == nil || *shoots == "") && (seeds == nil || *seeds == "") {
			return m != nil && deleteKey(entry, "kubeconfigAccessLevelDefaults")
		}
		m = &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
		setKey(entry, "kubeconfigAccessLevelDefaults", m)
	}
	changed := setScalar(m, "shoots", shoots)
	changed = setScalar(m, "seeds", seeds) || changed
	if len(m.Content) == 0 {
		deleteKey(entry, "kubeconfigAccessLevelDefaults")
		changed = true
	}
	return changed
}

// setScalar sets key to *val ("" removes it); nil leaves it alone.
func setScalar(m *yaml.Node, key string, val *string) bool {
	if val == nil {
		return false
	}
	cur := lookup(m, key)
	if *val == "" {
		return cur != nil && deleteKey(m, key)
	}
	if cur != nil && cur.Kind == yaml.ScalarNode && cur.Value == *val {
		return false
	}
	setKey(m, key, scalar(*val))
	return true
}

// setList sets key to the list (an empty list, or a single "" as gardenctl takes it, removes it).
func setList(m *yaml.Node, key string, vals []string) bool {
	cur := lookup(m, key)
	if len(vals) == 0 || (len(vals) == 1 && vals[0] == "") {
		return cur != nil && deleteKey(m, key)
	}
	if cur != nil && sameScalars(cur, vals) {
		return false
	}
	seq := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq"}
	for _, v := range vals {
		seq.Content = append(seq.Content, scalar(v))
	}
	setKey(m, key, seq)
	return true
}

// DeleteGarden removes the garden with this identity; it reports whether there was one.
func (c *Config) DeleteGarden(identity string) bool {
	gardens := lookup(c.doc.Content[0], "gardens")
	if gardens == nil || gardens.Kind != yaml.SequenceNode {
		return false
	}
	for i, n := range gardens.Content {
		if id := lookup(n, "identity"); id != nil && id.Value == identity {
			gardens.Content = append(gardens.Content[:i], gardens.Content[i+1:]...)
			_ = c.read()
			return true
		}
	}
	return false
}

func lookup(m *yaml.Node, key string) *yaml.Node {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}

// setKey replaces the value of key, keeping the old value's comments, or appends the pair.
func setKey(m *yaml.Node, key string, v *yaml.Node) {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			old := m.Content[i+1]
			v.LineComment, v.HeadComment, v.FootComment = old.LineComment, old.HeadComment, old.FootComment
			if old.Kind == yaml.ScalarNode && v.Kind == yaml.ScalarNode && old.Style != yaml.LiteralStyle && old.Style != yaml.FoldedStyle {
				v.Style = old.Style // a quoted value stays quoted
			}
			m.Content[i+1] = v
			return
		}
	}
	m.Content = append(m.Content, scalar(key), v)
}

func deleteKey(m *yaml.Node, key string) bool {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			m.Content = append(m.Content[:i], m.Content[i+2:]...)
			return true
		}
	}
	return false
}

func scalar(s string) *yaml.Node { return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: s} }

func sameScalars(n *yaml.Node, want []string) bool {
	if n.Kind != yaml.SequenceNode || len(n.Content) != len(want) {
		return false
	}
	for i, c := range n.Content {
		if c.Value != want[i] {
			return false
		}
	}
	return true
}
