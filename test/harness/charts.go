package harness

import (
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"

	"github.com/google/go-containerregistry/pkg/registry"
	chart "helm.sh/helm/v4/pkg/chart/v2"
	"helm.sh/helm/v4/pkg/chart/v2/loader"
	chartutil "helm.sh/helm/v4/pkg/chart/v2/util"
	helmregistry "helm.sh/helm/v4/pkg/registry"
	repo "helm.sh/helm/v4/pkg/repo/v1"
)

// ChartRegistry is an OCI registry on loopback (go-containerregistry's in-memory registry)
// holding test charts pushed with Helm's own registry client.
type ChartRegistry struct {
	server *httptest.Server
	Host   string
}

// StartChartRegistry starts the registry.
func StartChartRegistry() *ChartRegistry {
	s := httptest.NewServer(registry.New(registry.Logger(nilLogger())))
	return &ChartRegistry{server: s, Host: strings.TrimPrefix(s.URL, "http://")}
}

// Close stops the registry.
func (r *ChartRegistry) Close() { r.server.Close() }

// Push packages the chart directory (a test chart under test/charts) and pushes it under
// repo (e.g. "charts"); it returns the oci:// reference without version.
func (r *ChartRegistry) Push(chartDir, repo string) (string, error) {
	ch, err := loader.LoadDir(chartDir)
	if err != nil {
		return "", err
	}
	return r.PushChart(ch, repo)
}

// PushChart packages a loaded chart and pushes it under repo.
func (r *ChartRegistry) PushChart(ch *chart.Chart, repo string) (string, error) {
	tmp, err := os.MkdirTemp("", "chart-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(tmp)
	tgz, err := chartutil.Save(ch, tmp)
	if err != nil {
		return "", err
	}
	data, err := os.ReadFile(tgz)
	if err != nil {
		return "", err
	}
	client, err := helmregistry.NewClient(helmregistry.ClientOptPlainHTTP(), helmregistry.ClientOptWriter(devNull{}))
	if err != nil {
		return "", err
	}
	ref := fmt.Sprintf("%s/%s/%s", r.Host, repo, ch.Metadata.Name)
	if _, err := client.Push(data, ref+":"+ch.Metadata.Version); err != nil {
		return "", err
	}
	return "oci://" + ref, nil
}

// TestChart is the path of one of our test charts.
func TestChart(name string) (string, error) {
	root, err := RepoRoot()
	if err != nil {
		return "", err
	}
	return filepath.Join(root, "test", "charts", name), nil
}

type devNull struct{}

func (devNull) Write(p []byte) (int, error) { return len(p), nil }

func nilLogger() *log.Logger { return log.New(devNull{}, "", 0) }

// ChartRepo is a classic Helm chart repository (index.yaml and .tgz files) served on loopback.
type ChartRepo struct {
	server *httptest.Server
	dir    string
	URL    string
}

// StartChartRepo packages the chart directories and serves them with an index, as
// "helm repo index" would lay them out.
func StartChartRepo(chartDirs ...string) (*ChartRepo, error) {
	dir, err := os.MkdirTemp("", "chart-repo-")
	if err != nil {
		return nil, err
	}
	for _, d := range chartDirs {
		ch, err := loader.LoadDir(d)
		if err != nil {
			return nil, err
		}
		if _, err := chartutil.Save(ch, dir); err != nil {
			return nil, err
		}
	}
	r := &ChartRepo{dir: dir}
	r.server = httptest.NewServer(http.FileServer(http.Dir(dir)))
	r.URL = r.server.URL
	idx, err := repo.IndexDirectory(dir, r.URL)
	if err != nil {
		return nil, err
	}
	return r, idx.WriteFile(filepath.Join(dir, "index.yaml"), 0o644)
}

// Close stops serving and removes the files.
func (r *ChartRepo) Close() {
	r.server.Close()
	_ = os.RemoveAll(r.dir)
}
