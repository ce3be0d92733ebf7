package helmrelease

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	chart "helm.sh/helm/v4/pkg/chart/v2"
	"helm.sh/helm/v4/pkg/chart/v2/loader"
	repo "helm.sh/helm/v4/pkg/repo/v1"

	"github.com/osc-coco/kubectl-plugins/lib/clierr"
	"github.com/osc-coco/kubectl-plugins/lib/download"
)

// maxIndexBytes bounds a repository's index.yaml.
const maxIndexBytes = 32 << 20

// loadFromRepo resolves name and version in a classic chart repository (index.yaml), downloads
// the archive, checks its digest and loads it, as "helm install --repo URL NAME" does.
func loadFromRepo(ctx context.Context, s Source) (*chart.Chart, error) {
	base, err := url.Parse(strings.TrimSuffix(s.Repo, "/") + "/")
	if err != nil || (base.Scheme != "http" && base.Scheme != "https") || base.Host == "" {
		return nil, clierr.Usagef("pass the repository URL, e.g. https://kubernetes.github.io/ingress-nginx", "chart repository %q is not an http(s) URL", s.Repo)
	}
	data, err := download.Get(ctx, base.ResolveReference(&url.URL{Path: "index.yaml"}).String(), maxIndexBytes)
	if err != nil {
		return nil, clierr.Wrap(&clierr.Error{Code: clierr.CodeFailure, Err: err,
			Fix: "check --chart-repo and your network (or a mirror of the repository)"}, "cannot read the chart repository %s", s.Repo)
	}
	tmp, err := os.MkdirTemp("", "helm-index-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	p := filepath.Join(tmp, "index.yaml")
	if err := os.WriteFile(p, data, 0o600); err != nil {
		return nil, err
	}
	idx, err := repo.LoadIndexFile(p)
	if err != nil {
		return nil, clierr.Failf("check --chart-repo: it should serve a Helm repository index", "the index of %s is not valid: %v", s.Repo, err)
	}
	cv, err := idx.Get(s.Ref, s.Version)
	if err != nil {
		var versions []string
		for _, v := range idx.Entries[s.Ref] {
			versions = append(versions, v.Version)
		}
		if len(versions) == 0 {
			return nil, clierr.Failf("check the chart name and --chart-repo", "chart %s is not in repository %s", s.Ref, s.Repo)
		}
		if len(versions) > 8 {
			versions = versions[:8]
		}
		return nil, clierr.Usagef("available: "+strings.Join(versions, ", "), "chart %s has no version %q in %s", s.Ref, s.Version, s.Repo)
	}
	if len(cv.URLs) == 0 {
		return nil, clierr.Failf("report it to the repository's maintainers", "chart %s %s has no download URL in %s", s.Ref, cv.Version, s.Repo)
	}
	u, err := base.Parse(cv.URLs[0])
	if err != nil {
		return nil, fmt.Errorf("chart URL %q: %w", cv.URLs[0], err)
	}
	archive, err := download.Get(ctx, u.String(), maxChartBytes)
	if err != nil {
		return nil, clierr.Wrap(&clierr.Error{Code: clierr.CodeFailure, Err: err, Fix: "check your network"}, "cannot download chart %s %s", s.Ref, cv.Version)
	}
	if cv.Digest != "" {
		sum := sha256.Sum256(archive)
		if !strings.EqualFold(hex.EncodeToString(sum[:]), cv.Digest) {
			return nil, clierr.Failf("the download was altered or the index is stale: retry, or use another mirror", "chart %s %s does not match its digest in the repository index", s.Ref, cv.Version)
		}
	}
	return loader.LoadArchive(bytes.NewReader(archive))
}
