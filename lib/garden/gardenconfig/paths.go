package gardenconfig

import (
	"path/filepath"
	"regexp"
	"strings"
)

// ExpandTilde expands a leading "~" the way gardenctl-v2 and gardenlogin do; nothing else is
// expanded.
func ExpandTilde(p, home string) string {
	if p == "~" {
		return home
	}
	if strings.HasPrefix(p, "~/") || strings.HasPrefix(p, `~\`) {
		return filepath.Join(home, p[2:])
	}
	return p
}

var envRef = regexp.MustCompile(`\$\{?[A-Za-z_][A-Za-z0-9_]*\}?|%[A-Za-z_][A-Za-z0-9_]*%`)

// PathProblem says why gardenctl-v2 and gardenlogin would not find a kubeconfig path written in
// the config: they expand only a leading "~", so "$HOME/..." (as the guide writes it) is taken
// literally. It returns "" for a usable path.
func PathProblem(p string) string {
	switch {
	case p == "":
		return "no kubeconfig path is set"
	case envRef.MatchString(p):
		return "the path " + p + " contains " + envRef.FindString(p) + ", which gardenctl and gardenlogin do not expand"
	case !filepath.IsAbs(p) && !strings.HasPrefix(p, "~"):
		return "the path " + p + " is relative, so it depends on the directory gardenlogin is started from"
	}
	return ""
}

// Resolve returns the file a kubeconfig path names, as gardenlogin reads it.
func Resolve(p, home string) string { return ExpandTilde(p, home) }
