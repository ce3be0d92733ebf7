package chartvalues

import (
	"fmt"

	chart "helm.sh/helm/v4/pkg/chart/v2"
)

// ChartInfo is what the plugin depends on in a loaded Confidential Containers chart: the
// kata-deploy sub-chart under its alias, its version and dialect, and both charts' default values.
type ChartInfo struct {
	Name    string
	Version string
	// KataDeploy is the version of the kata-deploy sub-chart.
	KataDeploy string
	Dialect    Dialect
	// Umbrella holds the umbrella chart's default values; KataDeploy's are in Sub.
	Umbrella map[string]any
	Sub      map[string]any
}

// Inspect finds the kata-deploy dependency (alias kata-as-coco-runtime) in the umbrella chart, as
// its Chart.yaml declares it, and the sub-chart packed under charts/.
func Inspect(ch *chart.Chart) (ChartInfo, error) {
	info := ChartInfo{Name: ch.Metadata.Name, Version: ch.Metadata.Version, Umbrella: ch.Values}
	var dep *chart.Dependency
	for _, d := range ch.Metadata.Dependencies {
		if d.Alias == SubChart || d.Name == SubChart {
			dep = d
		}
	}
	if dep == nil {
		return info, fmt.Errorf("chart %s %s has no dependency %q: it is not the Confidential Containers chart (an umbrella over kata-deploy)",
			info.Name, info.Version, SubChart)
	}
	for _, sub := range ch.Dependencies() {
		// Helm renames an aliased sub-chart once it has processed the dependencies.
		if sub.Name() == dep.Name || sub.Name() == SubChart {
			info.KataDeploy, info.Sub = sub.Metadata.Version, sub.Values
		}
	}
	if info.KataDeploy == "" {
		return info, fmt.Errorf("chart %s %s declares %s (%s %s) but does not contain it under charts/: package it with helm dependency build",
			info.Name, info.Version, SubChart, dep.Name, dep.Version)
	}
	d, err := DialectOf(info.KataDeploy)
	if err != nil {
		return info, err
	}
	info.Dialect = d
	return info, nil
}

// Describe names the chart and its kata-deploy, for messages.
func (i ChartInfo) Describe() string {
	return fmt.Sprintf("chart %s %s (kata-deploy %s)", i.Name, i.Version, i.KataDeploy)
}

// CheckDialect refuses charts whose values speak a dialect kubectl coco does not write.
func (i ChartInfo) CheckDialect() error {
	if i.Dialect == DialectDisableAll {
		return nil
	}
	why := map[Dialect]string{
		DialectEnv:     "reads its shims from the single value env.shims",
		DialectEnabled: "has shims.<shim>.enabled but no shims.disableAll",
	}[i.Dialect]
	return fmt.Errorf("%s %s, a values dialect kubectl coco does not write; supported: %s", i.Describe(), why, SupportedRange())
}
