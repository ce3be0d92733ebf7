// Package gardenconfig reads and edits gardenctl-v2's garden config (~/.garden/gardenctl-v2.yaml),
// which gardenlogin also reads. It edits the YAML tree in place so that fields and comments this
// tool does not own (patterns, accessRestrictions, provider settings, ...) survive a write.
package gardenconfig

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Environment variables and defaults shared with gardenctl-v2.
const (
	EnvHome        = "GCTL_HOME"        // directory searched first
	EnvConfigName  = "GCTL_CONFIG_NAME" // file name without extension
	DefaultName    = "gardenctl-v2"
	HomeFolder     = ".garden"
	fileExtension  = ".yaml"
	GardenloginCfg = "gardenlogin.yaml" // gardenlogin reads this before gardenctl-v2.yaml
)

// Garden is one entry of gardens[]: the fields this tool reads.
type Garden struct {
	Identity   string   `yaml:"identity" json:"identity"`
	Name       string   `yaml:"name,omitempty" json:"name,omitempty"`
	Kubeconfig string   `yaml:"kubeconfig" json:"kubeconfig"`
	Context    string   `yaml:"context,omitempty" json:"context,omitempty"`
	Patterns   []string `yaml:"patterns,omitempty" json:"patterns,omitempty"`
}

// Config is a parsed garden config and the YAML tree it came from.
type Config struct {
	Path    string
	Gardens []Garden
	doc     *yaml.Node
}

// Location says where the config is read from and written to.
type Location struct {
	// Path is the config file (it may not exist yet).
	Path string
	// Dir is the garden home directory: $GCTL_HOME or ~/.garden. Shoot kubeconfigs go here.
	Dir string
}

// Locate finds the config as gardenctl-v2 does: an explicit file wins; otherwise $GCTL_HOME is
// searched before ~/.garden for $GCTL_CONFIG_NAME (default gardenctl-v2) plus ".yaml". When no file
// exists yet, the first search directory is where a new one is written.
func Locate(explicit string, getenv func(string) string, home string) Location {
	dirs := []string{}
	if h := getenv(EnvHome); h != "" {
		dirs = append(dirs, ExpandTilde(h, home))
	}
	dirs = append(dirs, filepath.Join(home, HomeFolder))
	if explicit != "" {
		p := ExpandTilde(explicit, home)
		if abs, err := filepath.Abs(p); err == nil {
			p = abs
		}
		return Location{Path: p, Dir: dirs[0]}
	}
	name := getenv(EnvConfigName)
	if name == "" {
		name = DefaultName
	}
	if !strings.HasSuffix(name, ".yaml") && !strings.HasSuffix(name, ".yml") {
		name += fileExtension
	}
	for _, d := range dirs {
		if _, err := os.Stat(filepath.Join(d, name)); err == nil {
			return Location{Path: filepath.Join(d, name), Dir: d}
		}
	}
	return Location{Path: filepath.Join(dirs[0], name), Dir: dirs[0]}
}

// ErrNotExist is returned by Load when the file is missing.
var ErrNotExist = errors.New("garden config does not exist")

// Load reads and parses the config at path.
func Load(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, ErrNotExist
	}
	if err != nil {
		return nil, err
	}
	c, err := Parse(data)
	if err != nil {
		return nil, err
	}
	c.Path = path
	return c, nil
}

// Parse checks the document's shape and reads gardens[].
func Parse(data []byte) (*Config, error) {
	c := &Config{}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("not valid YAML: %w", err)
	}
	if doc.Kind == 0 { // empty file
		doc = yaml.Node{Kind: yaml.DocumentNode, Content: []*yaml.Node{{Kind: yaml.MappingNode, Tag: "!!map"}}}
	}
	if len(doc.Content) != 1 || doc.Content[0].Kind != yaml.MappingNode {
		return nil, fmt.Errorf("the top level must be a mapping with a gardens: list")
	}
	c.doc = &doc
	gardens := lookup(doc.Content[0], "gardens")
	if gardens == nil || (gardens.Kind == yaml.ScalarNode && gardens.Tag == "!!null") {
		return c, nil
	}
	if gardens.Kind != yaml.SequenceNode {
		return nil, fmt.Errorf("line %d: gardens must be a list", gardens.Line)
	}
	seen := map[string]int{}
	for i, n := range gardens.Content {
		var g Garden
		if n.Kind != yaml.MappingNode {
			return nil, fmt.Errorf("line %d: gardens[%d] must be a mapping with identity and kubeconfig", n.Line, i)
		}
		if err := n.Decode(&g); err != nil {
			return nil, fmt.Errorf("line %d: gardens[%d]: %w", n.Line, i, err)
		}
		if g.Identity == "" {
			return nil, fmt.Errorf("line %d: gardens[%d] has no identity", n.Line, i)
		}
		for _, key := range []string{g.Identity, g.Name} {
			if key == "" {
				continue
			}
			if j, dup := seen[key]; dup {
				return nil, fmt.Errorf("line %d: gardens[%d] reuses %q from gardens[%d]", n.Line, i, key, j)
			}
			seen[key] = i
		}
		c.Gardens = append(c.Gardens, g)
	}
	return c, nil
}

// Find returns the garden with this identity or alias name.
func (c *Config) Find(nameOrIdentity string) (Garden, bool) {
	for _, g := range c.Gardens {
		if g.Identity == nameOrIdentity || (g.Name != "" && g.Name == nameOrIdentity) {
			return g, true
		}
	}
	return Garden{}, false
}

// Names lists the identities (with aliases) for messages.
func (c *Config) Names() []string {
	var out []string
	for _, g := range c.Gardens {
		if g.Name != "" {
			out = append(out, g.Identity+" ("+g.Name+")")
		} else {
			out = append(out, g.Identity)
		}
	}
	return out
}

// SetGarden adds the garden or updates the fields given (non-empty) of the one with the same
// identity; every other field of the entry and of the file is kept. It reports whether the
// garden is new and whether anything changed.
func (c *Config) SetGarden(g Garden) (created, changed bool) {
	root := c.doc.Content[0]
	gardens := lookup(root, "gardens")
	if gardens == nil || gardens.Kind != yaml.SequenceNode {
		gardens = &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq"}
		setKey(root, "gardens", gardens)
	}
	var entry *yaml.Node
	for _, n := range gardens.Content {
		if id := lookup(n, "identity"); id != nil && id.Value == g.Identity {
			entry = n
		}
	}
	if entry == nil {
		entry = &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
		setKey(entry, "identity", scalar(g.Identity))
		gardens.Content = append(gardens.Content, entry)
		created, changed = true, true
	}
	for _, kv := range [][2]string{{"name", g.Name}, {"kubeconfig", g.Kubeconfig}, {"context", g.Context}} {
		if kv[1] == "" {
			continue
		}
		if cur := lookup(entry, kv[0]); cur != nil && cur.Kind == yaml.ScalarNode && cur.Value == kv[1] {
			continue
		}
		setKey(entry, kv[0], scalar(kv[1]))
		changed = true
	}
	if len(g.Patterns) > 0 {
		seq := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq"}
		for _, p := range g.Patterns {
			seq.Content = append(seq.Content, scalar(p))
		}
		if cur := lookup(entry, "patterns"); cur == nil || !sameScalars(cur, g.Patterns) {
			setKey(entry, "patterns", seq)
			changed = true
		}
	}
	c.reread()
	return created, changed
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
			c.reread()
			return true
		}
	}
	return false
}

// Marshal renders the edited document.
func (c *Config) Marshal() ([]byte, error) {
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	enc.CompactSeqIndent() // "- item" under its key, as gardenctl and most people write it
	if err := enc.Encode(c.doc); err != nil {
		return nil, err
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func (c *Config) reread() {
	c.Gardens = nil
	if gardens := lookup(c.doc.Content[0], "gardens"); gardens != nil {
		for _, n := range gardens.Content {
			var g Garden
			if n.Decode(&g) == nil {
				c.Gardens = append(c.Gardens, g)
			}
		}
	}
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

func setKey(m *yaml.Node, key string, v *yaml.Node) {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			m.Content[i+1] = v
			return
		}
	}
	m.Content = append(m.Content, scalar(key), v)
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
