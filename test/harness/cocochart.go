package harness

import "github.com/osc-coco/kubectl-plugins/test/charts"

// PushCocoCharts pushes every umbrella version of charts.CocoCharts and returns the oci://
// reference (without version).
func (r *ChartRegistry) PushCocoCharts() (string, error) {
	var ref string
	for coco := range charts.CocoCharts {
		ch, err := charts.CocoChart(coco)
		if err != nil {
			return "", err
		}
		if ref, err = r.PushChart(ch, "charts"); err != nil {
			return "", err
		}
	}
	return ref, nil
}
