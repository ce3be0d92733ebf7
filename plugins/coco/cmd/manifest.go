package cmd

import (
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/osc-coco/kubectl-plugins/lib/apply"
	"github.com/osc-coco/kubectl-plugins/lib/clierr"
)

// manifestFlags are kubectl's -f and -R: -f repeats or takes a comma-separated list (as
// cli-runtime's FileNameFlags: a string slice), and names a file, a directory (its .json, .yaml
// and .yml files, as kubectl's FileExtensions) or - for stdin.
type manifestFlags struct {
	Files     []string
	Recursive bool
}

// maxManifestBytes bounds what one -f reads (stdin included).
const maxManifestBytes = 8 << 20

// manifestExtensions are the files kubectl takes from a directory (cli-runtime resource.FileExtensions).
var manifestExtensions = []string{".json", ".yaml", ".yml"}

func (m *manifestFlags) addFlags(f *pflag.FlagSet, what string) {
	f.StringSliceVarP(&m.Files, "filename", "f", nil, what+": a file, a directory of .yaml/.yml/.json files, or - for stdin (repeat -f, or separate with commas, for more)")
	exts := make([]string, 0, len(manifestExtensions))
	for _, e := range manifestExtensions {
		exts = append(exts, strings.TrimPrefix(e, "."))
	}
	_ = f.SetAnnotation("filename", cobra.BashCompFilenameExt, exts) // the flag is defined just above: no error
	f.BoolVarP(&m.Recursive, "recursive", "R", false, "read the directories -f names recursively")
}

func (m manifestFlags) given() bool { return len(m.Files) > 0 }

// String names the manifests for messages.
func (m manifestFlags) String() string { return strings.Join(m.Files, ", ") }

// read parses every manifest -f names, in order.
func (m manifestFlags) read(stdin io.Reader) ([]*unstructured.Unstructured, error) {
	var objs []*unstructured.Unstructured
	for i, arg := range m.Files {
		paths, err := m.expand(arg)
		if err != nil {
			return nil, commaHint(err, m.Files, i)
		}
		for _, p := range paths {
			got, err := readManifest(p, stdin)
			if err != nil {
				return nil, err
			}
			objs = append(objs, got...)
		}
	}
	return objs, nil
}

// commaHint explains a -f path that does not exist when it and the values after it, joined by
// commas, name one that does: -f split a path holding a comma, as kubectl's does.
func commaHint(err error, files []string, i int) error {
	for j := i + 1; j < len(files); j++ {
		joined := strings.Join(files[i:j+1], ",")
		if _, serr := os.Stat(joined); serr == nil {
			return clierr.Usagef(`quote it: -f '"`+joined+`"'`,
				"-f splits its value at commas, as kubectl's does, and %s holds one", joined)
		}
	}
	return err
}

// expand is arg's files: arg itself, or a directory's manifests (its subdirectories' with -R).
func (m manifestFlags) expand(arg string) ([]string, error) {
	if arg == "-" {
		return []string{arg}, nil
	}
	info, err := os.Stat(arg)
	if err != nil {
		return nil, clierr.Usagef("give a readable manifest", "-f: %v", err)
	}
	if !info.IsDir() {
		return []string{arg}, nil
	}
	var paths []string
	err = filepath.WalkDir(arg, func(p string, d fs.DirEntry, err error) error {
		switch {
		case err != nil:
			return err
		case d.IsDir() && p != arg && !m.Recursive:
			return filepath.SkipDir
		case !d.IsDir() && slices.Contains(manifestExtensions, filepath.Ext(p)):
			paths = append(paths, p)
		}
		return nil
	})
	if err != nil {
		return nil, clierr.Usagef("give a readable directory", "-f %s: %v", arg, err)
	}
	if len(paths) == 0 {
		return nil, clierr.Usagef("put .yaml, .yml or .json files there, or add -R for its subdirectories", "-f %s: the directory holds no manifest", arg)
	}
	return paths, nil
}

// readManifest reads one file (- for stdin, at most maxManifestBytes) as Kubernetes YAML or JSON.
func readManifest(path string, stdin io.Reader) ([]*unstructured.Unstructured, error) {
	var data []byte
	var err error
	if path == "-" {
		data, err = io.ReadAll(io.LimitReader(stdin, maxManifestBytes))
	} else {
		data, err = os.ReadFile(path)
	}
	if err != nil {
		return nil, clierr.Usagef("give a readable manifest", "-f: %v", err)
	}
	objs, err := apply.Parse(data)
	if err != nil {
		return nil, clierr.Usagef("give Kubernetes YAML or JSON", "%s: %v", path, err)
	}
	return objs, nil
}
