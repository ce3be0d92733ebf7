// Package charts holds our test charts (one folder each) and assembles the Confidential
// Containers fixtures from them: the umbrella with a kata-deploy fixture of a chosen upstream
// version packed under charts/, as "helm dependency build" would.
package charts

import (
	"fmt"
	"os"
	"path/filepath"

	chart "helm.sh/helm/v4/pkg/chart/v2"
	"helm.sh/helm/v4/pkg/chart/v2/loader"
	chartutil "helm.sh/helm/v4/pkg/chart/v2/util"
	"sigs.k8s.io/yaml"

	"github.com/osc-coco/kubectl-plugins/test/repo"
)

// Dir is the folder of one of our test charts.
func Dir(name string) string {
	return repo.Path("test", "charts", name)
}

// CocoCharts pairs the umbrella versions the tests push with the kata-deploy fixture each packs,
// as the trials with the real charts did (the umbrella over kata-deploy 3.30.0 and 4.1.0) and
// the public 0.16.0 over 3.22.0.
var CocoCharts = map[string]string{"0.22.0": "4.1.0", "0.21.0": "3.30.0", "0.19.0": "3.28.0", "0.16.0": "3.22.0"}

// KataDeployChart is our kata-deploy fixture (test/charts/kata-deploy) as upstream version v:
// its values.yaml models 4.1.0, test/charts/kata-deploy-values/<v>.yaml the others.
func KataDeployChart(v string) (*chart.Chart, error) {
	dir := Dir("kata-deploy")
	ch, err := loader.LoadDir(dir)
	if err != nil {
		return nil, err
	}
	if v != ch.Metadata.Version {
		data, err := os.ReadFile(filepath.Join(dir, "..", "kata-deploy-values", v+".yaml"))
		if err != nil {
			return nil, fmt.Errorf("no kata-deploy fixture for %s: %w", v, err)
		}
		vals := map[string]any{}
		if err := yaml.Unmarshal(data, &vals); err != nil {
			return nil, err
		}
		ch.Values, ch.Metadata.Version, ch.Metadata.AppVersion = vals, v, v
		for _, f := range ch.Raw {
			if f.Name == "values.yaml" {
				f.Data = data
			}
		}
	}
	return ch, nil
}

// CocoChart is our umbrella fixture as version coco with the kata-deploy fixture of version
// CocoCharts[coco] (or kataDeploy, when given) packed under charts/ as its aliased dependency.
func CocoChart(coco string, kataDeploy ...string) (*chart.Chart, error) {
	kd := CocoCharts[coco]
	if len(kataDeploy) > 0 {
		kd = kataDeploy[0]
	}
	dir := Dir("confidential-containers")
	ch, err := loader.LoadDir(dir)
	if err != nil {
		return nil, err
	}
	sub, err := KataDeployChart(kd)
	if err != nil {
		return nil, err
	}
	ch.Metadata.Version, ch.Metadata.AppVersion = coco, coco
	ch.Metadata.Dependencies[0].Version = kd
	ch.AddDependency(sub)
	return ch, nil
}

// EditKataDeployValues changes the default values of the umbrella's kata-deploy sub-chart (as
// a mirror's modified chart might), in the loaded chart and in the values.yaml it packs.
func EditKataDeployValues(ch *chart.Chart, edit func(map[string]any)) error {
	for _, sub := range ch.Dependencies() {
		edit(sub.Values)
		data, err := yaml.Marshal(sub.Values)
		if err != nil {
			return err
		}
		for _, f := range sub.Raw {
			if f.Name == "values.yaml" {
				f.Data = data
			}
		}
	}
	return nil
}

// SaveCocoChart packs CocoChart(coco) as a .tgz into dir (a chart path users pass to --chart).
func SaveCocoChart(dir, coco string) (string, error) {
	ch, err := CocoChart(coco)
	if err != nil {
		return "", err
	}
	return chartutil.Save(ch, dir)
}

// TrusteeChart is our Trustee chart fixture (test/charts/trustee) as upstream version v: its
// values.yaml models 0.18.0 (trustee v0.21.0), test/charts/trustee-values/<v>.yaml the others.
func TrusteeChart(v string) (*chart.Chart, error) {
	dir := Dir("trustee")
	ch, err := loader.LoadDir(dir)
	if err != nil {
		return nil, err
	}
	if v == ch.Metadata.Version {
		return ch, nil
	}
	data, err := os.ReadFile(filepath.Join(dir, "..", "trustee-values", v+".yaml"))
	if err != nil {
		return nil, fmt.Errorf("no trustee fixture for %s: %w", v, err)
	}
	vals := map[string]any{}
	if err := yaml.Unmarshal(data, &vals); err != nil {
		return nil, err
	}
	ch.Values, ch.Metadata.Version, ch.Metadata.AppVersion = vals, v, v
	for _, f := range ch.Raw {
		if f.Name == "values.yaml" {
			f.Data = data
		}
	}
	return ch, nil
}

// SaveTrusteeChart packs TrusteeChart(v) as a .tgz into dir.
func SaveTrusteeChart(dir, v string) (string, error) {
	ch, err := TrusteeChart(v)
	if err != nil {
		return "", err
	}
	return chartutil.Save(ch, dir)
}
