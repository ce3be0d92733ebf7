package harness

import (
	"fmt"
	"log"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"

	"github.com/google/go-containerregistry/pkg/registry"
	"helm.sh/helm/v4/pkg/chart/v2/loader"
	chartutil "helm.sh/helm/v4/pkg/chart/v2/util"
	helmregistry "helm.sh/helm/v4/pkg/registry"
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
