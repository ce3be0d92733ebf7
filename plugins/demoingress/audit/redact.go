package audit

import (
	"fmt"
	"net/url"
	"strings"
)

// maxValue is the longest value the report repeats in full.
const maxValue = 120

// urlKeys may carry credentials or tokens in the URL (user:password@, ?token=).
var urlKeys = map[string]bool{
	nginxPrefix + "auth-url":      true,
	nginxPrefix + "auth-signin":   true,
	nginxPrefix + "mirror-target": true,
}

// snippetKeys hold nginx configuration: headers with API keys, basic-auth strings, upstream
// addresses. The report names their directives only.
var snippetKeys = map[string]bool{
	nginxPrefix + "configuration-snippet": true,
	nginxPrefix + "server-snippet":        true,
	nginxPrefix + "auth-snippet":          true,
	nginxPrefix + "stream-snippet":        true,
	nginxPrefix + "modsecurity-snippet":   true,
}

// redact returns the value as the report may print it, and whether it changed it: snippets as
// their line count and directives, credential-bearing URLs as scheme and host, any other URL
// without its user info, long or multi-line values cut.
func redact(key, value string) (string, bool) {
	switch {
	case snippetKeys[key]:
		lines := strings.Count(strings.TrimRight(value, "\n"), "\n") + 1
		if strings.TrimSpace(value) == "" {
			return "", false
		}
		return fmt.Sprintf("[snippet redacted: %d lines; directives: %s]", lines, strings.Join(snippetDirectives(value), ", ")), true
	case urlKeys[key]:
		u, err := url.Parse(strings.TrimSpace(value))
		if err != nil || u.Host == "" {
			return fmt.Sprintf("[redacted: %d characters]", len(value)), true
		}
		out := u.Scheme + "://" + u.Host
		if u.Path != "" && u.Path != "/" || u.RawQuery != "" || u.User != nil {
			out += "/[redacted]"
		}
		return out, true
	}
	out, changed := value, false
	if i := strings.Index(out, "://"); i >= 0 {
		if at := strings.Index(out[i+3:], "@"); at >= 0 && !strings.ContainsAny(out[i+3:i+3+at], "/?#") {
			out, changed = out[:i+3]+"[redacted]@"+out[i+3+at+1:], true
		}
	}
	if i := strings.IndexByte(out, '\n'); i >= 0 {
		out, changed = out[:i]+" …", true
	}
	if len(out) > maxValue {
		out, changed = out[:maxValue]+"…", true
	}
	return out, changed
}

// snippetDirectives lists the directives of an nginx snippet, nested ones included, each once
// in order: the first word of every statement (after ';', '{' or '}'), skipping comments and
// quoted strings.
func snippetDirectives(s string) []string {
	var out []string
	seen := map[string]bool{}
	start := true // at the start of a statement
	var quote rune
	word := strings.Builder{}
	last := "" // the statement's directive
	flush := func() {
		if w := word.String(); w != "" {
			last = w
			if !seen[w] {
				seen[w] = true
				out = append(out, w)
			}
		}
		word.Reset()
	}
	inComment := false
	luaDepth := 0 // inside a *_by_lua_block: Lua code, not directives
	for _, c := range s {
		switch {
		case luaDepth > 0:
			if c == '{' {
				luaDepth++
			} else if c == '}' {
				luaDepth--
				start = luaDepth == 0
			}
		case inComment:
			if c == '\n' {
				inComment = false
			}
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '"' || c == '\'':
			quote, start = c, false
		case c == '#':
			inComment = true
		case c == ';' || c == '{' || c == '}':
			flush()
			if c == '{' && strings.HasSuffix(last, "_lua_block") {
				luaDepth = 1
			}
			last, start = "", true
		case start && (c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'):
			word.WriteRune(c)
		case start && word.Len() > 0:
			flush()
			start = false
		}
	}
	flush()
	return out
}
