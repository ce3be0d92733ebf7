package gardenconfig

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// The rules below are gardenctl-v2's and gardenlogin's, stated once. Where gardenctl refuses a
// file (it then refuses every command), the config carries a Problem; where it only warns, a
// Warning. Nothing else is refused, so every file gardenctl accepts is accepted here.

var (
	nameChars = regexp.MustCompile(`^[a-zA-Z0-9_-]+$`)
	nameEnds  = regexp.MustCompile(`^[a-zA-Z0-9]([a-zA-Z0-9_-]*[a-zA-Z0-9])?$`)
)

// NameRule is the rule for identities and aliases, for messages.
const NameRule = "letters, digits, '_' and '-', starting and ending with a letter or digit (e.g. fg1, osc-prod)"

// ValidateName follows gardenctl-v2 config.ValidateGardenName (identities and aliases) and
// gardenlogin's ValidateGardenClusterIdentity (the identity a shoot kubeconfig names).
func ValidateName(name string) error {
	switch {
	case name == "":
		return errors.New("must not be empty")
	case !nameChars.MatchString(name):
		return fmt.Errorf("must contain only %s", NameRule)
	case !nameEnds.MatchString(name):
		return fmt.Errorf("must start and end with a letter or digit (e.g. %s)", suggestName(name))
	}
	return nil
}

// suggestName turns a refused name into one the rule accepts ("my.garden" -> "my-garden").
func suggestName(name string) string {
	var b strings.Builder
	for _, r := range name {
		if nameChars.MatchString(string(r)) {
			b.WriteRune(r)
		} else {
			b.WriteRune('-')
		}
	}
	s := strings.Trim(b.String(), "-_")
	if s == "" {
		return "fg1"
	}
	return s
}

// Access levels of a shoot kubeconfig: gardenctl-v2 config.KubeconfigAccessLevel, which are
// gardenlogin's --access-level values. "" leaves gardenlogin's own default (auto).
var AccessLevelValues = []string{"admin", "viewer", "auto"}

// ValidateAccessLevel follows gardenctl-v2 KubeconfigAccessLevel.Validate: "" is valid.
func ValidateAccessLevel(level string) error {
	if level == "" || slices.Contains(AccessLevelValues, level) {
		return nil
	}
	return fmt.Errorf("access level %q is not one of %s", level, strings.Join(AccessLevelValues, ", "))
}

// Finding is a problem or warning about one garden of the file.
type Finding struct {
	Garden int    // index in gardens[]
	Line   int    // line of the garden entry
	Msg    string // what is wrong
	Fix    string // how to fix it
}

func (f Finding) String() string {
	if f.Line == 0 { // a garden added by this run
		return f.Msg
	}
	return fmt.Sprintf("line %d: %s", f.Line, f.Msg)
}

// check follows gardenctl-v2 Config.validateGardens: an identity is required and, like an
// alias, follows the name rule; access level defaults are valid; a name used twice is only
// warned about (an alias equal to its own identity is not a reuse).
func (c *Config) check() {
	c.Problems, c.Warnings = nil, nil
	seen := map[string]int{}
	for i, g := range c.Gardens {
		line := c.lines[i]
		switch err := ValidateName(g.Identity); {
		case g.Identity == "":
			c.Problems = append(c.Problems, Finding{i, line, fmt.Sprintf("gardens[%d] has no identity", i),
				"give it one (" + NameRule + ") or delete the entry by hand"})
		case err != nil:
			c.Problems = append(c.Problems, Finding{i, line, fmt.Sprintf("garden identity %q %v", g.Identity, err), renameFix(g.Identity)})
		}
		if g.Alias != "" {
			if err := ValidateName(g.Alias); err != nil {
				c.Problems = append(c.Problems, Finding{i, line, fmt.Sprintf("alias %q of garden %q %v", g.Alias, g.Identity, err),
					fmt.Sprintf("kubectl shoot config set-garden %s --alias %s", g.Identity, suggestName(g.Alias))})
			}
		}
		if d := g.AccessLevelDefaults; d != nil {
			for scope, level := range map[string]string{"shoots": d.Shoots, "seeds": d.Seeds} {
				if err := ValidateAccessLevel(level); err != nil {
					c.Problems = append(c.Problems, Finding{i, line, fmt.Sprintf("garden %q: kubeconfigAccessLevelDefaults.%s: %v", g.Identity, scope, err),
						fmt.Sprintf("kubectl shoot config set-garden %s --default-%s-access-level viewer (or admin, auto, or \"\" to unset)", g.Identity, strings.TrimSuffix(scope, "s"))})
				}
			}
		}
		c.warnReuse(seen, i, line, g.Identity)
		if g.Alias != g.Identity {
			c.warnReuse(seen, i, line, g.Alias)
		}
	}
}

func (c *Config) warnReuse(seen map[string]int, i, line int, name string) {
	if name == "" {
		return
	}
	j, dup := seen[name]
	if !dup {
		seen[name] = i
		return
	}
	c.Warnings = append(c.Warnings, Finding{i, line,
		fmt.Sprintf("%q names gardens[%d] and gardens[%d]: identities and aliases should be unique (an identity wins over an alias, else the first garden)", name, j, i),
		"give one of them another alias: kubectl shoot config set-garden <identity> --alias <name>"})
}

func renameFix(identity string) string {
	return fmt.Sprintf("rename it: kubectl shoot config delete-garden %s, then kubectl shoot config set-garden %s --kubeconfig <path>, and write the shoot kubeconfigs again (kubectl shoot kubeconfig <shoot>)",
		quoteIfNeeded(identity), suggestName(identity))
}

func quoteIfNeeded(s string) string {
	if nameChars.MatchString(s) {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// ProblemsOf splits the problems into those of the garden with this identity and the others.
func (c *Config) ProblemsOf(identity string) (own, others []Finding) {
	for _, p := range c.Problems {
		if c.Gardens[p.Garden].Identity == identity {
			own = append(own, p)
		} else {
			others = append(others, p)
		}
	}
	return own, others
}

// ValidatePatterns follows gardenctl-v2 "config set-garden" validatePatterns: a single ""
// clears the list; otherwise each pattern is a non-empty regular expression whose capturing
// groups are all named project, namespace or shoot (an unnamed group is refused too).
func ValidatePatterns(patterns []string) error {
	if len(patterns) == 0 || (len(patterns) == 1 && patterns[0] == "") {
		return nil
	}
	for i, p := range patterns {
		if p == "" {
			return fmt.Errorf("pattern[%d] must not be empty", i)
		}
		re, err := regexp.Compile(p)
		if err != nil {
			return fmt.Errorf("pattern[%d] is not a valid regular expression: %w", i, err)
		}
		for _, name := range re.SubexpNames()[1:] {
			if name != "project" && name != "namespace" && name != "shoot" {
				return fmt.Errorf("pattern[%d] has the capturing group %q: name each group (?P<project>...), (?P<namespace>...) or (?P<shoot>...), or make it (?:...)", i, name)
			}
		}
	}
	return nil
}

// AccessLevelFor is the access level a shoot kubeconfig asks gardenlogin for, as gardenctl-v2's
// target manager resolveAccessLevel decides: the flag when given, else the garden's default for
// the scope (seeds for a shoot that backs a managed seed, shoots otherwise), else "" (no
// --access-level: gardenlogin's own default, auto).
func AccessLevelFor(flag *string, g *Garden, backsManagedSeed bool) string {
	if flag != nil && *flag != "" {
		return *flag
	}
	if g == nil || g.AccessLevelDefaults == nil {
		return ""
	}
	if backsManagedSeed {
		return g.AccessLevelDefaults.Seeds
	}
	return g.AccessLevelDefaults.Shoots
}
