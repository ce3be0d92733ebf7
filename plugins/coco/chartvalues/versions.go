package chartvalues

import (
	"fmt"

	"github.com/Masterminds/semver/v3"
)

// Release is one CoCo release and the kata-deploy chart its umbrella chart depends on (the
// release notes in confidential-containers/confidential-containers releases/vX.Y.Z.md, and for
// 0.16.0 the umbrella's Chart.yaml; 0.22.0: Kata 4.0.0).
type Release struct {
	CoCo       string `json:"coco"`
	KataDeploy string `json:"kataDeploy"`
}

// Releases, oldest first. The chart's own version is the CoCo version.
var Releases = []Release{
	{"0.16.0", "3.22.0"},
	{"0.17.0", "3.23.0"},
	{"0.18.0", "3.25.0"},
	{"0.19.0", "3.28.0"},
	{"0.20.0", "3.29.0"},
	{"0.21.0", "3.31.0"},
	{"0.22.0", "4.0.0"},
}

// KataDeployFor is the kata-deploy version CoCo release v ships, "" when unknown.
func KataDeployFor(coco string) string {
	for _, r := range Releases {
		if r.CoCo == coco {
			return r.KataDeploy
		}
	}
	return ""
}

// Dialect is how a kata-deploy chart's values choose shims.
type Dialect string

const (
	// DialectEnv: kata-deploy <= 3.22 reads one string, env.shims, for every architecture.
	DialectEnv Dialect = "env.shims"
	// DialectEnabled: 3.23 to 3.25 have shims.<shim>.enabled and defaultShim.<arch>, but no
	// shims.disableAll: every shim not switched off stays on.
	DialectEnabled Dialect = "shims.<shim>.enabled"
	// DialectDisableAll: from 3.26, shims.disableAll turns off every shim not enabled explicitly.
	// This is the one kubectl coco writes.
	DialectDisableAll Dialect = "shims.disableAll"
)

// The kata-deploy versions whose charts and start-up checks were read for this plugin. Newer
// ones are installed when their chart passes the contract check, with a note.
const (
	MinKataDeploy    = "3.26.0"
	NewestKataDeploy = "4.1.0"
)

// DialectOf tells a kata-deploy chart version's values dialect.
func DialectOf(kataDeploy string) (Dialect, error) {
	v, err := semver.NewVersion(kataDeploy)
	if err != nil {
		return "", fmt.Errorf("kata-deploy chart version %q is not a semantic version", kataDeploy)
	}
	switch {
	case v.LessThan(semver.MustParse("3.23.0")):
		return DialectEnv, nil
	case v.LessThan(semver.MustParse("3.26.0")):
		return DialectEnabled, nil
	}
	return DialectDisableAll, nil
}

// Newer says whether kata-deploy v is newer than the newest version this plugin was checked
// against (its minor version, patch releases included).
func Newer(kataDeploy string) bool {
	v, err := semver.NewVersion(kataDeploy)
	if err != nil {
		return false
	}
	n := semver.MustParse(NewestKataDeploy)
	return v.Major() > n.Major() || v.Major() == n.Major() && v.Minor() > n.Minor()
}

// SupportedRange names the supported kata-deploy versions and the CoCo charts that ship them.
func SupportedRange() string {
	first := ""
	for _, r := range Releases {
		if d, _ := DialectOf(r.KataDeploy); d == DialectDisableAll && first == "" {
			first = r.CoCo
		}
	}
	n := semver.MustParse(NewestKataDeploy)
	return fmt.Sprintf("kata-deploy %s to %d.%d.x (CoCo charts %s to %s)", MinKataDeploy, n.Major(), n.Minor(), first, Releases[len(Releases)-1].CoCo)
}

// KnownRelease says whether version is a CoCo chart release kubectl coco was checked against.
func KnownRelease(version string) bool {
	for _, r := range Releases {
		if r.CoCo == version {
			return true
		}
	}
	return false
}
