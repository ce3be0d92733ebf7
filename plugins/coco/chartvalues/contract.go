package chartvalues

import (
	"fmt"
	"sort"
	"strings"
)

// CheckKeys verifies that every value we set is a key of the chart's own defaults (the umbrella's
// for top-level keys, the umbrella's and kata-deploy's for the sub-chart): no kata-deploy chart
// has a values.schema.json, so Helm silently ignores a key a chart does not know, and the install
// would then wait for runtime classes that never come. Keys the user set with --set or -f are
// theirs and are not checked. Map values that are empty in the defaults (nodeSelector: {}) are
// free-form.
func CheckKeys(ours, user map[string]any, info ChartInfo) error {
	defaults := map[string]any{}
	for k, v := range info.Umbrella {
		defaults[k] = v
	}
	sub := map[string]any{}
	for k, v := range info.Sub {
		sub[k] = v
	}
	if u, ok := info.Umbrella[SubChart].(map[string]any); ok {
		for k, v := range u {
			sub[k] = v
		}
	}
	defaults[SubChart] = sub
	var missing []string
	walkMissing(ours, defaults, user, "", &missing)
	if len(missing) == 0 {
		return nil
	}
	sort.Strings(missing)
	return fmt.Errorf("%s has no value %s, which kubectl coco sets; supported: %s (or set it yourself with --set if your chart names it otherwise)",
		info.Describe(), strings.Join(missing, ", "), SupportedRange())
}

func walkMissing(ours, defaults, user map[string]any, prefix string, missing *[]string) {
	for k, v := range ours {
		path := prefix + k
		u, userSet := user[k]
		if userSet && !isMap(u) {
			continue
		}
		d, ok := defaults[k]
		if !ok {
			if !userSet {
				*missing = append(*missing, path)
			}
			continue
		}
		om, oIsMap := v.(map[string]any)
		dm, dIsMap := d.(map[string]any)
		if !oIsMap || d == nil || dIsMap && len(dm) == 0 {
			continue
		}
		um, _ := u.(map[string]any)
		walkMissing(om, dm, um, path+".", missing)
	}
}

func isMap(v any) bool {
	_, ok := v.(map[string]any)
	return ok
}
