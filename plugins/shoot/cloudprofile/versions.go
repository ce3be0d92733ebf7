// Package cloudprofile answers the questions a shoot's creator asks of a CloudProfile: which
// Kubernetes versions and machine images may be used now, which machine types exist where, and
// what the user probably meant when a name is wrong.
package cloudprofile

import (
	"fmt"
	"slices"
	"strings"
	"time"

	gardencorev1beta1 "github.com/gardener/gardener/pkg/apis/core/v1beta1"
	"k8s.io/apimachinery/pkg/util/version"
)

// Classification of a version at a point in time.
const (
	Preview    = "preview"
	Supported  = "supported"
	Deprecated = "deprecated"
	Expired    = "expired"
)

// Classify returns a version's classification at now: the latest lifecycle stage that has
// started, else the classification field (supported when unset), and expired once the
// expiration date has passed.
func Classify(v gardencorev1beta1.ExpirableVersion, now time.Time) string {
	class := Supported
	if v.Classification != nil && *v.Classification != "" {
		class = string(*v.Classification)
	}
	if len(v.Lifecycle) > 0 {
		class = Preview
		for _, s := range v.Lifecycle {
			if s.StartTime == nil || !s.StartTime.After(now) {
				class = string(s.Classification)
			}
		}
	}
	if v.ExpirationDate != nil && !v.ExpirationDate.After(now) {
		class = Expired
	}
	return class
}

// DefaultVersion is the highest supported version, the one a shoot gets when none is asked for.
func DefaultVersion(versions []gardencorev1beta1.ExpirableVersion, now time.Time) (string, bool) {
	var best *version.Version
	var bestRaw string
	for _, v := range versions {
		if Classify(v, now) != Supported {
			continue
		}
		pv, err := version.ParseGeneric(v.Version)
		if err != nil {
			continue
		}
		if best == nil || pv.GreaterThan(best) {
			best, bestRaw = pv, v.Version
		}
	}
	return bestRaw, best != nil
}

// ResolveVersion checks a requested Kubernetes version. "1.33" picks the highest usable 1.33.x.
// It returns the version to use, a warning for preview or deprecated versions, or an error that
// lists the usable ones.
func ResolveVersion(versions []gardencorev1beta1.ExpirableVersion, want string, now time.Time) (string, string, error) {
	want = strings.TrimPrefix(want, "v")
	usable := []string{}
	var picked *gardencorev1beta1.ExpirableVersion
	var pickedV *version.Version
	for i, v := range versions {
		class := Classify(v, now)
		if class != Expired {
			usable = append(usable, v.Version)
		}
		if v.Version == want {
			if class == Expired {
				return "", "", fmt.Errorf("kubernetes version %s has expired in this cloud profile; usable: %s", want, strings.Join(sortVersions(usable), ", "))
			}
			picked = &versions[i]
			break
		}
		if strings.Count(want, ".") == 1 && strings.HasPrefix(v.Version, want+".") && class == Supported {
			pv, err := version.ParseGeneric(v.Version)
			if err == nil && (pickedV == nil || pv.GreaterThan(pickedV)) {
				picked, pickedV = &versions[i], pv
			}
		}
	}
	if picked == nil {
		return "", "", &NotFoundError{What: "kubernetes version", Name: want, Known: sortVersions(usable)}
	}
	warn := ""
	switch c := Classify(*picked, now); c {
	case Preview, Deprecated:
		warn = fmt.Sprintf("kubernetes version %s is %s in this cloud profile", picked.Version, c)
	}
	return picked.Version, warn, nil
}

func sortVersions(vs []string) []string {
	out := slices.Clone(vs)
	slices.SortFunc(out, func(a, b string) int {
		va, ea := version.ParseGeneric(a)
		vb, eb := version.ParseGeneric(b)
		if ea != nil || eb != nil {
			return strings.Compare(a, b)
		}
		switch {
		case va.LessThan(vb):
			return 1
		case vb.LessThan(va):
			return -1
		}
		return 0
	})
	return out
}

// Image is a machine image name and version.
type Image struct{ Name, Version string }

// PickImage chooses the machine image for a worker: the named image (and version, if given), else
// the first image of the profile; its highest supported version that runs on arch with containerd.
func PickImage(images []gardencorev1beta1.MachineImage, name, ver, arch string, now time.Time) (Image, error) {
	var names []string
	for _, img := range images {
		names = append(names, img.Name)
		if name != "" && img.Name != name {
			continue
		}
		var best *version.Version
		var bestRaw string
		for _, v := range img.Versions {
			if ver != "" {
				if v.Version == ver {
					if Classify(v.ExpirableVersion, now) == Expired {
						return Image{}, fmt.Errorf("machine image %s %s has expired in this cloud profile", img.Name, ver)
					}
					return Image{img.Name, ver}, nil
				}
				continue
			}
			if Classify(v.ExpirableVersion, now) != Supported || !runsOn(v, arch) {
				continue
			}
			pv, err := version.ParseGeneric(v.Version)
			if err == nil && (best == nil || pv.GreaterThan(best)) {
				best, bestRaw = pv, v.Version
			}
		}
		if bestRaw != "" {
			return Image{img.Name, bestRaw}, nil
		}
		if name != "" || ver != "" {
			return Image{}, fmt.Errorf("machine image %s has no supported version %sfor %s with containerd", img.Name, orEmpty(ver), arch)
		}
	}
	if name != "" {
		return Image{}, &NotFoundError{What: "machine image", Name: name, Known: names}
	}
	return Image{}, fmt.Errorf("the cloud profile has no supported machine image for %s", arch)
}

func orEmpty(v string) string {
	if v == "" {
		return ""
	}
	return v + " "
}

func runsOn(v gardencorev1beta1.MachineImageVersion, arch string) bool {
	if len(v.Architectures) > 0 && !slices.Contains(v.Architectures, arch) {
		return false
	}
	if len(v.CRI) == 0 {
		return true
	}
	for _, c := range v.CRI {
		if c.Name == gardencorev1beta1.CRINameContainerD {
			return true
		}
	}
	return false
}
