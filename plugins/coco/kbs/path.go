package kbs

import (
	"fmt"
	"regexp"
	"strings"
)

// Path is a resource's REPO/TYPE/TAG.
type Path struct{ Repo, Type, Tag string }

func (p Path) String() string { return p.Repo + "/" + p.Type + "/" + p.Tag }

// URI is the resource as a guest names it.
func (p Path) URI() string { return "kbs:///" + p.String() }

// segment is what the KBS's local resource backend accepts in a path segment (no dots to climb
// out of the repository directory, no slashes).
var segment = regexp.MustCompile(`^[A-Za-z0-9_\-][A-Za-z0-9_.\-]*$`)

// ParsePath reads REPO/TYPE/TAG or kbs:///REPO/TYPE/TAG.
func ParsePath(s string) (Path, error) {
	const form = "name a resource as REPO/TYPE/TAG, e.g. default/db/password (or kbs:///default/db/password)"
	rest := strings.TrimPrefix(s, "kbs:///")
	parts := strings.Split(rest, "/")
	if len(parts) != 3 {
		return Path{}, fmt.Errorf("%q is not REPO/TYPE/TAG: %s", s, form)
	}
	for _, seg := range parts {
		if !segment.MatchString(seg) || seg == ".." {
			return Path{}, fmt.Errorf("%q has an empty or unusable segment %q: %s", s, seg, form)
		}
	}
	return Path{Repo: parts[0], Type: parts[1], Tag: parts[2]}, nil
}
