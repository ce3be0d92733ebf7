package helmcmd

import (
	"maps"
	"slices"
	"strings"
	"testing"

	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/osc-coco/kubectl-plugins/lib/cli"
	"github.com/osc-coco/kubectl-plugins/plugins/coco/cmd"
	"github.com/osc-coco/kubectl-plugins/plugins/coco/cmd/cmdutil"
)

// kubectl-coco lists the Helm commands with the same one-line help as coco-helm's real ones,
// and coco-helm's tree has a real command for every entry.
func TestTreesAgree(t *testing.T) {
	streams := genericiooptions.NewTestIOStreamsDiscard()
	light, full := cmd.NewRoot(streams), NewRoot(streams)
	helped := cli.HelpedCommands(light)
	want := []string{"kubectl coco attest", "kubectl coco install", "kubectl coco status", "kubectl coco trustee install",
		"kubectl coco trustee status", "kubectl coco trustee uninstall", "kubectl coco uninstall"}
	if got := slices.Sorted(maps.Keys(helped)); !slices.Equal(got, want) {
		t.Fatalf("kubectl-coco hands %v to %s, want %v", got, cmdutil.Helper, want)
	}
	for path, helper := range helped {
		if helper != cmdutil.Helper {
			t.Errorf("%s: helper %q", path, helper)
		}
	}
	if left := cli.HelpedCommands(full); len(left) != 0 {
		t.Fatalf("coco-helm's tree still hands on %v", left)
	}
	for _, entry := range []string{"attest", "install", "status", "uninstall", "trustee install", "trustee status", "trustee uninstall"} {
		args := strings.Fields(entry)
		l, _, err1 := light.Find(args)
		f, _, err2 := full.Find(args)
		if err1 != nil || err2 != nil {
			t.Fatalf("%s: %v %v", entry, err1, err2)
		}
		if l.Short != f.Short {
			t.Errorf("%s: listed as %q, is %q", entry, l.Short, f.Short)
		}
	}
}
