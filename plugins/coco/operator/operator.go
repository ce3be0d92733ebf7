// Package operator handles the archived CoCo operator (releases up to v0.17.0), the guide's
// install path: it fetches the operator's tagged source, builds its release manifests and
// CcRuntime samples with the kustomize API, and reads a CcRuntime's installation status.
package operator

import (
	"archive/tar"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/version"
	"k8s.io/client-go/dynamic"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"

	"github.com/osc-coco/kubectl-plugins/lib/clierr"
)

// What the operator creates (confidential-containers/operator v0.10.0-v0.17.0, config/manager and
// config/samples/ccruntime).
const (
	Namespace      = "confidential-containers-system"
	Deployment     = "cc-operator-controller-manager"
	NamePrefix     = "cc-operator-"
	CRDName        = "ccruntimes.confidentialcontainers.org"
	Group          = "confidentialcontainers.org"
	Version        = "v1beta1"
	Kind           = "CcRuntime"
	Resource       = "ccruntimes"
	Finalizer      = "runtimeconfig.confidentialcontainers.org/finalizer"
	DefaultVersion = "v0.17.0"
	ReleasePath    = "config/release"
)

// LastRelease is the operator's final release: newer CoCo installs through the Helm chart.
var LastRelease = version.MustParseSemantic("v0.17.0")

// CheckVersion accepts tags up to v0.17.0.
func CheckVersion(v string) error {
	sv, err := version.ParseSemantic(v)
	if err != nil || !strings.HasPrefix(v, "v") {
		return fmt.Errorf("operator version %q is not a release tag such as v0.10.0", v)
	}
	if sv.GreaterThan(LastRelease) {
		return fmt.Errorf("the operator's last release is v0.17.0; CoCo %s installs with --method chart", v)
	}
	return nil
}

// DefaultSource is the tagged source archive on GitHub.
func DefaultSource(v string) string {
	return "https://github.com/confidential-containers/operator/archive/refs/tags/" + v + ".tar.gz"
}

// Samples are the CcRuntime kustomizations per platform.
var Samples = map[string]string{
	"x86_64":    "config/samples/ccruntime/default",
	"s390x":     "config/samples/ccruntime/s390x",
	"peer-pods": "config/samples/ccruntime/peer-pods",
	"sgx":       "config/samples/enclave-cc/hw",
}

// maxArchiveBytes bounds the downloaded source archive.
const maxArchiveBytes = 64 << 20

// Fetch makes the source available as a directory: a local folder as it is, an http(s) URL of
// a .tar.gz downloaded and unpacked into a temporary directory (removed by cleanup).
func Fetch(ctx context.Context, source string) (dir string, cleanup func(), err error) {
	cleanup = func() {}
	if !strings.HasPrefix(source, "http://") && !strings.HasPrefix(source, "https://") {
		st, err := os.Stat(source)
		if err != nil || !st.IsDir() {
			return "", cleanup, clierr.Usagef("pass the operator's source folder or an http(s) URL of its .tar.gz", "--source %q is not a directory", source)
		}
		return source, cleanup, nil
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, source, nil)
	if err != nil {
		return "", cleanup, clierr.Usagef("pass an http(s) URL", "bad --source %q: %v", source, err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", cleanup, &clierr.Error{Code: clierr.CodeFailure, Err: err, Msg: "cannot download the operator source " + source,
			Fix: "check the network, or mirror the archive and pass --source URL or a local folder"}
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return "", cleanup, clierr.Failf("check --version and --source", "downloading %s: HTTP %s", source, resp.Status)
	}
	tmp, err := os.MkdirTemp("", "coco-operator-src-")
	if err != nil {
		return "", cleanup, err
	}
	cleanup = func() { os.RemoveAll(tmp) }
	if err := untar(io.LimitReader(resp.Body, maxArchiveBytes), tmp); err != nil {
		cleanup()
		return "", func() {}, clierr.Failf("check that --source is the operator's .tar.gz", "unpacking %s: %v", source, err)
	}
	// GitHub archives hold one top folder (operator-0.10.0/).
	entries, _ := os.ReadDir(tmp)
	if len(entries) == 1 && entries[0].IsDir() {
		return filepath.Join(tmp, entries[0].Name()), cleanup, nil
	}
	return tmp, cleanup, nil
}

func untar(r io.Reader, dst string) error {
	gz, err := gzip.NewReader(r)
	if err != nil {
		return err
	}
	tr := tar.NewReader(gz)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		target := filepath.Join(dst, filepath.Clean("/"+h.Name)) // no path escapes dst
		switch h.Typeflag {
		case tar.TypeDir:
			if err := os.MkdirAll(target, 0o755); err != nil {
				return err
			}
		case tar.TypeReg:
			if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
				return err
			}
			f, err := os.OpenFile(target, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o644)
			if err != nil {
				return err
			}
			_, err = io.Copy(f, tr)
			f.Close()
			if err != nil {
				return err
			}
		}
	}
}

// Build runs kustomize on path inside the source folder.
func Build(dir, path string) ([]byte, error) {
	full := filepath.Join(dir, path)
	if _, err := os.Stat(filepath.Join(full, "kustomization.yaml")); err != nil {
		return nil, clierr.Failf("check --version and --source", "the operator source has no %s/kustomization.yaml", path)
	}
	k := krusty.MakeKustomizer(krusty.MakeDefaultOptions())
	m, err := k.Run(filesys.MakeFsOnDisk(), full)
	if err != nil {
		return nil, clierr.Wrap(err, "kustomize build %s", path)
	}
	return m.AsYaml()
}

// Status is what a CcRuntime reports of its installation.
type Status struct {
	Total          int
	Completed      int
	CompletedNodes []string
	Failed         []string
	RuntimeClasses []string
}

// Done reports an installation complete on every targeted node.
func (s Status) Done() bool { return s.Total > 0 && s.Completed == s.Total }

// ReadStatus reads a CcRuntime's status.
func ReadStatus(u *unstructured.Unstructured) Status {
	var s Status
	total, _, _ := unstructured.NestedInt64(u.Object, "status", "totalNodesCount")
	done, _, _ := unstructured.NestedInt64(u.Object, "status", "installationStatus", "completed", "completedNodesCount")
	s.Total, s.Completed = int(total), int(done)
	s.CompletedNodes, _, _ = unstructured.NestedStringSlice(u.Object, "status", "installationStatus", "completed", "completedNodesList")
	failed, _, _ := unstructured.NestedSlice(u.Object, "status", "installationStatus", "failed", "failedNodesList")
	for _, f := range failed {
		if m, ok := f.(map[string]any); ok {
			s.Failed = append(s.Failed, fmt.Sprintf("%v: %v", m["name"], m["error"]))
		}
	}
	rc, _, _ := unstructured.NestedString(u.Object, "status", "runtimeClass")
	for _, r := range strings.Split(rc, ",") {
		if r = strings.TrimSpace(r); r != "" {
			s.RuntimeClasses = append(s.RuntimeClasses, r)
		}
	}
	return s
}

// ManagerContainer is the operator's own container in its Deployment; the kube-rbac-proxy
// sidecar of config/default (manager_auth_proxy_patch.yaml) comes before it.
const ManagerContainer = "manager"

// ImageVersion reads the version an image reference carries: its tag (a registry port such as
// host:5000 is not one), else the start of its digest; "" when it has neither.
func ImageVersion(ref string) string {
	digest := ""
	if i := strings.Index(ref, "@"); i >= 0 {
		ref, digest = ref[:i], ref[i+1:]
	}
	if i := strings.LastIndex(ref, ":"); i > strings.LastIndex(ref, "/") {
		return ref[i+1:]
	}
	if d := strings.TrimPrefix(digest, "sha256:"); d != "" {
		return "sha256:" + d[:min(12, len(d))]
	}
	return ""
}

// GVR is the CcRuntime resource.
var GVR = schema.GroupVersionResource{Group: Group, Version: Version, Resource: Resource}

// ListCcRuntimes returns the CcRuntimes; crd is false when their CRD is not installed.
func ListCcRuntimes(ctx context.Context, dyn dynamic.Interface) (items []unstructured.Unstructured, crd bool, err error) {
	l, err := dyn.Resource(GVR).List(ctx, metav1.ListOptions{})
	if apierrors.IsNotFound(err) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, clierr.FromAPI(err, clierr.Action{Verb: "list", Resource: "ccruntimes." + Group})
	}
	return l.Items, true, nil
}
