// Package gardenconfig reads and edits gardenctl-v2's garden config (~/.garden/gardenctl-v2.yaml),
// which gardenlogin also reads. It edits the YAML tree in place so that fields and comments this
// tool does not own (patterns, accessRestrictions, provider settings, ...) survive a write, and
// writes a file gardenctl wrote the way gardenctl writes it.
package gardenconfig

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"

	"go.yaml.in/yaml/v3"
	sigsyaml "sigs.k8s.io/yaml"
)

// Garden is one entry of gardens[]: the fields this tool reads (gardenctl-v2 config.Garden).
type Garden struct {
	Identity            string              `yaml:"identity" json:"identity"`
	Alias               string              `yaml:"name,omitempty" json:"name,omitempty"`
	Kubeconfig          string              `yaml:"kubeconfig" json:"kubeconfig"`
	Context             string              `yaml:"context,omitempty" json:"context,omitempty"`
	Patterns            []string            `yaml:"patterns,omitempty" json:"patterns,omitempty"`
	AccessRestrictions  []AccessRestriction `yaml:"accessRestrictions,omitempty" json:"accessRestrictions,omitempty"`
	AccessLevelDefaults *AccessLevels       `yaml:"kubeconfigAccessLevelDefaults,omitempty" json:"kubeconfigAccessLevelDefaults,omitempty"`
}

// AccessLevels is kubeconfigAccessLevelDefaults: the access level a kubeconfig asks gardenlogin
// for when no --access-level is given, per target scope ("" means gardenlogin's default).
type AccessLevels struct {
	Shoots string `yaml:"shoots,omitempty" json:"shoots,omitempty"`
	Seeds  string `yaml:"seeds,omitempty" json:"seeds,omitempty"`
}

// Config is a parsed garden config and the YAML tree it came from.
type Config struct {
	Path    string
	Gardens []Garden
	// Problems are what gardenctl-v2 refuses the whole file for; Warnings what it warns about.
	Problems []Finding
	Warnings []Finding

	doc   *yaml.Node
	lines []int // line of each garden entry
	// asGardenctl: the file is exactly what gardenctl's Save writes (sigs.k8s.io/yaml: keys
	// sorted, long strings folded, no comments), so it is written back that way.
	asGardenctl bool
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

// Parse checks the document's shape and reads gardens[]. Only a document that cannot be a
// garden config is an error; what gardenctl's rules refuse is in Problems.
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
	if err := c.read(); err != nil {
		return nil, err
	}
	c.asGardenctl = len(data) > 0 && writtenByGardenctl(data)
	return c, nil
}

// read decodes gardens[] from the tree and checks the rules.
func (c *Config) read() error {
	c.Gardens, c.lines = nil, nil
	gardens := lookup(c.doc.Content[0], "gardens")
	if gardens == nil || (gardens.Kind == yaml.ScalarNode && gardens.Tag == "!!null") {
		c.check()
		return nil
	}
	if gardens.Kind != yaml.SequenceNode {
		return fmt.Errorf("line %d: gardens must be a list", gardens.Line)
	}
	for i, n := range gardens.Content {
		var g Garden
		if n.Kind != yaml.MappingNode {
			return fmt.Errorf("line %d: gardens[%d] must be a mapping with identity and kubeconfig", n.Line, i)
		}
		if err := n.Decode(&g); err != nil {
			return fmt.Errorf("line %d: gardens[%d]: %w", n.Line, i, err)
		}
		c.Gardens = append(c.Gardens, g)
		c.lines = append(c.lines, n.Line)
	}
	c.check()
	return nil
}

// writtenByGardenctl tells whether data is a fixed point of gardenctl's writer.
func writtenByGardenctl(data []byte) bool {
	j, err := sigsyaml.YAMLToJSON(data)
	if err != nil {
		return false
	}
	again, err := sigsyaml.JSONToYAML(j)
	return err == nil && bytes.Equal(again, data)
}

// Find returns the garden named so, as gardenctl-v2 Config.Garden picks it: an identity wins,
// else the first garden with that alias.
func (c *Config) Find(nameOrIdentity string) (Garden, bool) {
	if i := c.index(nameOrIdentity); i >= 0 {
		return c.Gardens[i], true
	}
	return Garden{}, false
}

func (c *Config) index(name string) int {
	if name == "" {
		return -1
	}
	for i, g := range c.Gardens {
		if g.Identity == name {
			return i
		}
	}
	for i, g := range c.Gardens {
		if g.Alias == name {
			return i
		}
	}
	return -1
}

// Select returns the garden named want (Find), or the only one when want is empty.
func (c *Config) Select(want string) (Garden, error) {
	if want != "" {
		if g, ok := c.Find(want); ok {
			return g, nil
		}
		return Garden{}, fmt.Errorf("garden %q is not in %s", want, c.Path)
	}
	if len(c.Gardens) == 1 {
		return c.Gardens[0], nil
	}
	return Garden{}, fmt.Errorf("%s lists %d gardens and --garden does not say which one to use", c.Path, len(c.Gardens))
}

// FindIdentity returns the garden as gardenlogin's Config.FindGarden does: the first with this
// identity (aliases play no part).
func (c *Config) FindIdentity(identity string) (Garden, bool) {
	for _, g := range c.Gardens {
		if g.Identity == identity {
			return g, true
		}
	}
	return Garden{}, false
}

// Names lists the identities (with aliases) for messages.
func (c *Config) Names() []string {
	var out []string
	for _, g := range c.Gardens {
		if g.Alias != "" && g.Alias != g.Identity {
			out = append(out, g.Identity+" ("+g.Alias+")")
		} else {
			out = append(out, g.Identity)
		}
	}
	return out
}

// Marshal renders the edited document: as gardenctl writes it when gardenctl wrote the file,
// else with its comments and key order kept.
func (c *Config) Marshal() ([]byte, error) {
	if c.asGardenctl {
		var v any
		if err := c.doc.Decode(&v); err != nil {
			return nil, err
		}
		j, err := json.Marshal(v)
		if err != nil {
			return nil, err
		}
		return sigsyaml.JSONToYAML(j)
	}
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
