// Package helmrelease installs, upgrades, inspects and removes one Helm release through the Helm
// Go SDK, loading charts from an OCI registry, an HTTP(S) URL or a local path. It is what the
// plugins share of Helm; what to install and with which values is theirs.
package helmrelease

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"reflect"
	"strings"
	"time"

	"helm.sh/helm/v4/pkg/action"
	chart "helm.sh/helm/v4/pkg/chart/v2"
	"helm.sh/helm/v4/pkg/chart/v2/loader"
	"helm.sh/helm/v4/pkg/kube"
	"helm.sh/helm/v4/pkg/registry"
	rcommon "helm.sh/helm/v4/pkg/release/common"
	release "helm.sh/helm/v4/pkg/release/v1"
	"helm.sh/helm/v4/pkg/storage/driver"
	"helm.sh/helm/v4/pkg/strvals"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
	"sigs.k8s.io/yaml"

	"github.com/osc-coco/kubectl-plugins/lib/clierr"
)

// Source says where a chart comes from.
type Source struct {
	// Ref is oci://host/repo/name, an http(s) URL of a .tgz, or a local directory or .tgz; with
	// Repo set, it is the chart's name in that repository.
	Ref string
	// Repo is a classic chart repository URL (one that serves index.yaml).
	Repo    string
	Version string
	// PlainHTTP talks HTTP, not HTTPS, to an OCI registry (a mirror inside a closed network).
	PlainHTTP bool
}

// maxChartBytes bounds a downloaded chart archive.
const maxChartBytes = 20 << 20

// LoadChart fetches and loads the chart.
func LoadChart(ctx context.Context, s Source) (*chart.Chart, error) {
	switch {
	case s.Repo != "":
		return loadFromRepo(ctx, s)
	case strings.HasPrefix(s.Ref, "oci://"):
		opts := []registry.ClientOption{registry.ClientOptWriter(io.Discard)}
		if s.PlainHTTP {
			opts = append(opts, registry.ClientOptPlainHTTP())
		}
		client, err := registry.NewClient(opts...)
		if err != nil {
			return nil, err
		}
		ref := strings.TrimPrefix(s.Ref, "oci://")
		if s.Version != "" {
			ref += ":" + s.Version
		}
		res, err := client.Pull(ref, registry.PullOptWithChart(true))
		if err != nil {
			return nil, &clierr.Error{Code: clierr.CodeFailure, Err: err, Msg: fmt.Sprintf("cannot pull chart %s", s.Ref+versionSuffix(s.Version)),
				Fix: "check --chart and --version, your network or registry mirror (--plain-http for an HTTP mirror)"}
		}
		return loader.LoadArchive(bytes.NewReader(res.Chart.Data))
	case strings.HasPrefix(s.Ref, "https://") || strings.HasPrefix(s.Ref, "http://"):
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.Ref, nil)
		if err != nil {
			return nil, clierr.Usagef("pass a valid URL", "bad chart URL %q: %v", s.Ref, err)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return nil, &clierr.Error{Code: clierr.CodeFailure, Err: err, Msg: "cannot download chart " + s.Ref, Fix: "check the URL and your network"}
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return nil, clierr.Failf("check the URL", "downloading chart %s: HTTP %s", s.Ref, resp.Status)
		}
		data, err := io.ReadAll(io.LimitReader(resp.Body, maxChartBytes))
		if err != nil {
			return nil, err
		}
		return loader.LoadArchive(bytes.NewReader(data))
	}
	if _, err := os.Stat(s.Ref); err != nil {
		return nil, clierr.Usagef("pass oci://..., an http(s) URL of a .tgz, or a local chart directory or .tgz", "chart %q not found", s.Ref)
	}
	return loader.Load(s.Ref)
}

func versionSuffix(v string) string {
	if v == "" {
		return ""
	}
	return ":" + v
}

// Values merges values files and --set expressions (later wins) over base.
func Values(base map[string]any, files, sets []string) (map[string]any, error) {
	vals := map[string]any{}
	merge(vals, base)
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return nil, clierr.Usagef("pass a readable YAML file with -f", "values file: %v", err)
		}
		m := map[string]any{}
		if err := yaml.Unmarshal(data, &m); err != nil {
			return nil, clierr.Usagef("fix the YAML", "values file %s: %v", f, err)
		}
		merge(vals, m)
	}
	for _, s := range sets {
		if err := strvals.ParseInto(s, vals); err != nil {
			return nil, clierr.Usagef("use --set key=value[,key=value]", "bad --set %q: %v", s, err)
		}
	}
	return vals, nil
}

// merge copies src into dst, deeply for maps.
func merge(dst, src map[string]any) {
	for k, v := range src {
		if sm, ok := v.(map[string]any); ok {
			if dm, ok := dst[k].(map[string]any); ok {
				merge(dm, sm)
				continue
			}
			cp := map[string]any{}
			merge(cp, sm)
			dst[k] = cp
			continue
		}
		dst[k] = v
	}
}

// Client acts on releases in one namespace.
type Client struct {
	cfg       *action.Configuration
	namespace string
	getter    genericclioptions.RESTClientGetter
}

// NewClient connects Helm to the cluster of the kubectl flags. Helm's own log goes nowhere
// unless verbose.
func NewClient(getter genericclioptions.RESTClientGetter, namespace string, verbose bool) (*Client, error) {
	h := slog.DiscardHandler
	if verbose {
		h = slog.NewTextHandler(os.Stderr, nil)
	}
	cfg := action.NewConfiguration(action.ConfigurationSetLogger(h))
	if err := cfg.Init(inNamespace{getter, namespace}, namespace, "secret"); err != nil {
		return nil, err
	}
	return &Client{cfg: cfg, namespace: namespace, getter: getter}, nil
}

// FromConfiguration is a Client on a Helm configuration made elsewhere (tests: Helm's memory
// storage driver).
func FromConfiguration(cfg *action.Configuration, namespace string) *Client {
	return &Client{cfg: cfg, namespace: namespace}
}

// inNamespace is the kubectl flags' getter with the release's namespace as the default one:
// objects a chart renders without a namespace go into the release's, as with helm install -n
// (Helm's kube client takes the default from the getter's kubeconfig loader).
type inNamespace struct {
	genericclioptions.RESTClientGetter
	namespace string
}

func (g inNamespace) ToRawKubeConfigLoader() clientcmd.ClientConfig {
	return namespacedConfig{g.RESTClientGetter.ToRawKubeConfigLoader(), g.namespace}
}

type namespacedConfig struct {
	inner     clientcmd.ClientConfig
	namespace string
}

func (c namespacedConfig) RawConfig() (clientcmdapi.Config, error) { return c.inner.RawConfig() }
func (c namespacedConfig) ClientConfig() (*rest.Config, error)     { return c.inner.ClientConfig() }
func (c namespacedConfig) ConfigAccess() clientcmd.ConfigAccess    { return c.inner.ConfigAccess() }
func (c namespacedConfig) Namespace() (string, bool, error)        { return c.namespace, true, nil }

// Bounded runs fn but returns when ctx ends, with ctx's error: Helm's Get and Uninstall take no
// context, and a command must keep to its --timeout and to Ctrl-C even when the API server hangs.
// The process exits soon after; an operation Helm leaves pending is completed by the next run.
func Bounded[T any](ctx context.Context, fn func() (T, error)) (T, error) {
	type result struct {
		v   T
		err error
	}
	ch := make(chan result, 1)
	go func() {
		v, err := fn()
		ch <- result{v, err}
	}()
	select {
	case r := <-ch:
		return r.v, r.err
	case <-ctx.Done():
		var zero T
		return zero, ctx.Err()
	}
}

// Get returns the release, or nil when there is none.
func (c *Client) Get(ctx context.Context, name string) (*release.Release, error) {
	return Bounded(ctx, func() (*release.Release, error) { return c.get(name) })
}

func (c *Client) get(name string) (*release.Release, error) {
	r, err := action.NewGet(c.cfg).Run(name)
	if errors.Is(err, driver.ErrReleaseNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	rel, ok := r.(*release.Release)
	if !ok {
		return nil, fmt.Errorf("release %s has an unsupported format %T", name, r)
	}
	return rel, nil
}

// Options for Install.
type Options struct {
	Name    string
	Timeout time.Duration
	// DryRun renders (client side) and applies nothing.
	DryRun bool
	// Notice, if set, is told when Install takes over a release another run left pending.
	Notice func(string)
	// A release pending-install/-upgrade is Helm's lock: another run may still be applying it.
	// Install takes it over only when its last update is older than TakeOverAfter (the caller's
	// --timeout: a run that honours its own timeout is over by then), or with Force.
	TakeOverAfter time.Duration
	Force         bool
}

// Outcome says what Install did.
type Outcome string

const (
	Installed Outcome = "installed"
	Upgraded  Outcome = "upgraded"
	Unchanged Outcome = "unchanged"
	Rendered  Outcome = "rendered"
)

// Install installs the chart, upgrades a release whose chart version or values differ, and
// leaves an identical one alone. It does not wait for workloads: callers wait for what proves
// their install (Helm's readiness rules do not know kata-deploy's).
//
// It returns when ctx ends even if Helm does not: some of Helm's calls run on a context of their
// own and retry; a release it leaves pending is completed by the next Install.
func (c *Client) Install(ctx context.Context, ch *chart.Chart, vals map[string]any, o Options) (*release.Release, Outcome, error) {
	type result struct {
		rel     *release.Release
		outcome Outcome
	}
	r, err := Bounded(ctx, func() (result, error) {
		rel, outcome, err := c.install(ctx, ch, vals, o)
		return result{rel, outcome}, err
	})
	return r.rel, r.outcome, err
}

func (c *Client) install(ctx context.Context, ch *chart.Chart, vals map[string]any, o Options) (*release.Release, Outcome, error) {
	var existing *release.Release
	if !o.DryRun { // a client-side render needs no access to the cluster's releases
		var err error
		if existing, err = c.Get(ctx, o.Name); err != nil {
			return nil, "", err
		}
	}
	if existing != nil && existing.Info != nil && existing.Info.Status.IsPending() && !o.DryRun {
		if err := c.takeOver(ctx, existing, o); err != nil {
			return nil, "", err
		}
	}
	if o.DryRun || existing == nil {
		in := action.NewInstall(c.cfg)
		in.ReleaseName, in.Namespace, in.CreateNamespace, in.Timeout = o.Name, c.namespace, true, o.Timeout
		in.WaitStrategy = kube.HookOnlyStrategy
		in.ServerSideApply = true
		outcome := Installed
		if o.DryRun {
			in.DryRunStrategy, outcome = action.DryRunClient, Rendered
			in.Replace = true // render even when the release exists
		}
		r, err := in.RunWithContext(ctx, ch, vals)
		if err != nil {
			return nil, "", err
		}
		rel, _ := r.(*release.Release)
		return rel, outcome, nil
	}
	if existing.Info != nil && existing.Info.Status == "deployed" && existing.Chart != nil && existing.Chart.Metadata != nil &&
		existing.Chart.Metadata.Version == ch.Metadata.Version && reflect.DeepEqual(normalize(existing.Config), normalize(vals)) {
		return existing, Unchanged, nil
	}
	up := action.NewUpgrade(c.cfg)
	up.Namespace, up.Timeout, up.WaitStrategy = c.namespace, o.Timeout, kube.HookOnlyStrategy
	r, err := up.RunWithContext(ctx, o.Name, ch, vals)
	if err != nil {
		return nil, "", err
	}
	rel, _ := r.(*release.Release)
	return rel, Upgraded, nil
}

// takeOver marks a release that another run left pending as failed, so that the upgrade that
// follows can finish the job (Helm refuses any operation on a pending release), but only once
// that run must be over: its last update is older than TakeOverAfter, or Force says so. Resources
// the other run did not create are created by the upgrade.
func (c *Client) takeOver(ctx context.Context, rel *release.Release, o Options) error {
	was := rel.Info.Status
	since := rel.Info.LastDeployed
	if since.IsZero() {
		since = rel.Info.FirstDeployed
	}
	age := time.Since(since).Round(time.Second)
	who := c.lastWriter(ctx, rel)
	if age < o.TakeOverAfter && !o.Force {
		return &clierr.Error{Code: clierr.CodeFailure,
			Msg: fmt.Sprintf("release %s revision %d is %s since %s (%s ago%s): another run may still be applying it",
				rel.Name, rel.Version, was, since.Format("15:04:05"), age, who),
			Fix: fmt.Sprintf("wait for that run to finish (helm status %s -n %s); if none is running any more, run again with --force, "+
				"or after %s, when a pending release is taken over by itself", rel.Name, c.namespace, (o.TakeOverAfter - age).Round(time.Second))}
	}
	rel.Info.Status = rcommon.StatusFailed
	rel.Info.Description = fmt.Sprintf("left %s by another run; marked failed to be completed", was)
	if err := c.cfg.Releases.Update(rel); err != nil {
		return fmt.Errorf("release %s is %s and cannot be taken over: %w", rel.Name, was, err)
	}
	if o.Notice != nil {
		why := fmt.Sprintf("longer ago than --timeout %s", o.TakeOverAfter)
		if age < o.TakeOverAfter {
			why = "--force"
		}
		o.Notice(fmt.Sprintf("release %s (revision %d) was left %s %s ago%s (%s): taking it over to complete it", rel.Name, rel.Version, was, age, who, why))
	}
	return nil
}

// lastWriter names the program that last wrote the release's record (the field manager of its
// Secret, which client-go takes from the program's name), or "" when it cannot be read.
func (c *Client) lastWriter(ctx context.Context, rel *release.Release) string {
	cs, err := c.cfg.KubernetesClientSet()
	if err != nil {
		return ""
	}
	s, err := cs.CoreV1().Secrets(c.namespace).Get(ctx, fmt.Sprintf("sh.helm.release.v1.%s.v%d", rel.Name, rel.Version), metav1.GetOptions{})
	if err != nil || len(s.ManagedFields) == 0 {
		return ""
	}
	return ", written by " + s.ManagedFields[len(s.ManagedFields)-1].Manager
}

// normalize round-trips values through YAML so that equal values compare equal whatever
// their Go types (int vs float64).
func normalize(m map[string]any) map[string]any {
	data, _ := yaml.Marshal(m)
	out := map[string]any{}
	_ = yaml.Unmarshal(data, &out)
	return out
}

// Uninstall removes the release; it reports false when there was none.
func (c *Client) Uninstall(ctx context.Context, name string, timeout time.Duration) (bool, error) {
	rel, err := c.Get(ctx, name)
	if err != nil || rel == nil {
		return false, err
	}
	u := action.NewUninstall(c.cfg)
	u.Timeout, u.WaitStrategy = timeout, kube.HookOnlyStrategy
	if _, err := Bounded(ctx, func() (any, error) { return u.Run(name) }); err != nil {
		return false, err
	}
	return true, nil
}
