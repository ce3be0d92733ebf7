// Package version reports the build a plugin binary came from. The values are set at link
// time: -ldflags "-X github.com/osc-coco/kubectl-plugins/lib/version.Version=v0.1.0 ...".
package version

import (
	"runtime"
	"runtime/debug"
)

var (
	Version   = "dev"
	GitCommit = ""
	BuildDate = ""
)

// Info is the schema of "kubectl <plugin> version -o json|yaml".
type Info struct {
	Plugin    string `json:"plugin"`
	Version   string `json:"version"`
	GitCommit string `json:"gitCommit"`
	BuildDate string `json:"buildDate"`
	GoVersion string `json:"goVersion"`
	Platform  string `json:"platform"`
}

// Get returns the build information of this binary.
func Get(plugin string) Info {
	i := Info{Plugin: plugin, Version: Version, GitCommit: GitCommit, BuildDate: BuildDate,
		GoVersion: runtime.Version(), Platform: runtime.GOOS + "/" + runtime.GOARCH}
	if i.GitCommit == "" {
		if bi, ok := debug.ReadBuildInfo(); ok {
			for _, s := range bi.Settings {
				if s.Key == "vcs.revision" {
					i.GitCommit = s.Value
				}
			}
		}
	}
	return i
}
