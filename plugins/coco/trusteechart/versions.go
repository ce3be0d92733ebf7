package trusteechart

import (
	"fmt"
	"regexp"
	"strings"
)

// Release is a Trustee chart version kubectl coco was checked against and what install runs
// with it.
type Release struct {
	// Chart is the chart's version (a patch release of the same minor is taken as the same).
	Chart string
	// Source is where that chart is.
	Source string
	// Trustee is the release of the KBS, AS and RVPS the pinned images are.
	Trustee string
	// ImageTag is the tag install pins every image to.
	ImageTag string
	// TLS: the chart has native KBS TLS (kbs.tls.enabled, kbs.tls.secretName: a
	// kubernetes.io/tls Secret mounted at /etc/kbs/tls, [http_server] private_key/certificate).
	TLS bool
}

// TrusteeV021Images is the staged-images tag of Trustee v0.21.0: the chart's images are pushed
// to ghcr.io/confidential-containers/staged-images/<name> tagged with the commit they were built
// from and "latest" (trustee .github/workflows/workflow-call-publish-staged-manifests.yml); tag
// v0.21.0 names commit 258ea4ac.
const TrusteeV021Images = "258ea4acb7b9bd865fce5c63a539f2120dba8298"

// Releases are the chart versions kubectl coco knows. The chart is not published: users bring a
// checkout of the trustee repository.
var Releases = []Release{
	{Chart: "0.18.0", Source: "trustee v0.21.0, deployment/helm-chart", Trustee: "v0.21.0", ImageTag: TrusteeV021Images},
	// main after v0.21.0: the chart bumped to 0.21.0 ("helm: bump chart/app version") and native
	// KBS TLS ("helm: add native KBS TLS support", 3f902057); the KBS's [http_server] TLS keys are
	// the same in v0.21.0 (kbs/src/config.rs TlsConfig), so the v0.21.0 images serve it.
	{Chart: "0.21.0", Source: "trustee main after v0.21.0 (2026-08), deployment/helm-chart", Trustee: "v0.21.0", ImageTag: TrusteeV021Images, TLS: true},
}

// SupportedRange names the releases for messages.
func SupportedRange() string {
	var parts []string
	for _, r := range Releases {
		parts = append(parts, fmt.Sprintf("%s (%s)", r.Chart, r.Source))
	}
	return "Trustee's chart " + strings.Join(parts, " or ")
}

var semverMinor = regexp.MustCompile(`^(\d+\.\d+)\.\d+$`)

// Known is the release a chart version is, by major.minor.
func Known(version string) (Release, bool) {
	m := semverMinor.FindStringSubmatch(version)
	for _, r := range Releases {
		if m != nil && strings.HasPrefix(r.Chart, m[1]+".") {
			return r, true
		}
	}
	return Release{}, false
}

// Components are the chart's services, each with an image at <component>.image.
var Components = []string{"kbs", "as", "rvps"}

// UserImages are the components whose image the user set (--set <component>.image.*=...).
func UserImages(sets []string) map[string]bool {
	out := map[string]bool{}
	for _, s := range sets {
		for _, c := range Components {
			if strings.HasPrefix(s, c+".image.") {
				out[c] = true
			}
		}
	}
	return out
}

// PinImages are the values that pin every component's image the user did not set to the
// release's tag, pulled when missing (the chart's default is latest, pulled Always: whatever
// Trustee's main branch built last).
func PinImages(r Release, user map[string]bool) map[string]any {
	vals := map[string]any{}
	for _, c := range Components {
		if !user[c] {
			vals[c] = map[string]any{"image": map[string]any{"tag": r.ImageTag, "pullPolicy": "IfNotPresent"}}
		}
	}
	return vals
}

// Unpinned says which images of a rendered release run a moving tag (latest or none).
func Unpinned(images map[string]string) []string {
	var out []string
	for name, ref := range images {
		if tag := imageTag(ref); tag == "" || tag == "latest" {
			out = append(out, name+" ("+ref+")")
		}
	}
	return out
}

// imageTag is the tag of an image reference ("" when it has none; a digest counts as a tag).
func imageTag(ref string) string {
	if i := strings.LastIndex(ref, "@"); i >= 0 {
		return ref[i+1:]
	}
	slash := strings.LastIndex(ref, "/")
	if i := strings.LastIndex(ref, ":"); i > slash {
		return ref[i+1:]
	}
	return ""
}
