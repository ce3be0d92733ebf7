// mkimage writes a single-layer OCI image tarball (docker save format, which ctr imports) from
// local files, so that the test node needs no registry:
//
//	go run ./hack/mkimage -ref local/busybox:1 -out busybox.tar -entrypoint /bin/sh \
//	    -file /bin/busybox=bin/busybox -link busybox=bin/sh
package main

import (
	"archive/tar"
	"bytes"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"sort"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

type pairs []string

func (p *pairs) String() string     { return strings.Join(*p, ",") }
func (p *pairs) Set(v string) error { *p = append(*p, v); return nil }

func main() {
	var (
		ref, out, entrypoint string
		files, links         pairs
	)
	flag.StringVar(&ref, "ref", "", "image reference, e.g. local/busybox:1")
	flag.StringVar(&out, "out", "", "output tarball")
	flag.StringVar(&entrypoint, "entrypoint", "", "comma-separated entrypoint")
	flag.Var(&files, "file", "SRC=PATH_IN_IMAGE (repeatable)")
	flag.Var(&links, "link", "TARGET=LINK_IN_IMAGE symlink (repeatable)")
	flag.Parse()
	if ref == "" || out == "" {
		fmt.Fprintln(os.Stderr, "mkimage: -ref and -out are required")
		os.Exit(2)
	}
	if err := build(ref, out, entrypoint, files, links); err != nil {
		fmt.Fprintln(os.Stderr, "mkimage:", err)
		os.Exit(1)
	}
}

func build(ref, out, entrypoint string, files, links []string) error {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	dirs := map[string]bool{"tmp/": true}
	addDirs := func(p string) error {
		parts := strings.Split(p, "/")
		for i := 1; i < len(parts); i++ {
			d := strings.Join(parts[:i], "/") + "/"
			if !dirs[d] {
				dirs[d] = true
				if err := tw.WriteHeader(&tar.Header{Name: d, Mode: 0o755, Typeflag: tar.TypeDir}); err != nil {
					return err
				}
			}
		}
		return nil
	}
	if err := tw.WriteHeader(&tar.Header{Name: "tmp/", Mode: 0o1777, Typeflag: tar.TypeDir}); err != nil {
		return err
	}
	written := map[string]bool{}
	for _, f := range files {
		src, dst, ok := strings.Cut(f, "=")
		if !ok {
			return fmt.Errorf("-file %q: want SRC=PATH", f)
		}
		data, err := os.ReadFile(src)
		if err != nil {
			return err
		}
		dst = strings.TrimPrefix(dst, "/")
		written[dst] = true
		if err := addDirs(dst); err != nil {
			return err
		}
		if err := tw.WriteHeader(&tar.Header{Name: dst, Mode: 0o755, Size: int64(len(data)), Typeflag: tar.TypeReg}); err != nil {
			return err
		}
		if _, err := tw.Write(data); err != nil {
			return err
		}
	}
	sort.Strings(links)
	for _, l := range links {
		target, link, ok := strings.Cut(l, "=")
		if !ok {
			return fmt.Errorf("-link %q: want TARGET=LINK", l)
		}
		link = strings.TrimPrefix(link, "/")
		if written[link] {
			return fmt.Errorf("-link %q would replace the file %s", l, link)
		}
		if err := addDirs(link); err != nil {
			return err
		}
		if err := tw.WriteHeader(&tar.Header{Name: link, Linkname: target, Mode: 0o777, Typeflag: tar.TypeSymlink}); err != nil {
			return err
		}
	}
	if err := tw.Close(); err != nil {
		return err
	}
	data := buf.Bytes()
	layer, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil })
	if err != nil {
		return err
	}
	img, err := mutate.AppendLayers(empty.Image, layer)
	if err != nil {
		return err
	}
	cfg, err := img.ConfigFile()
	if err != nil {
		return err
	}
	cfg = cfg.DeepCopy()
	cfg.Architecture, cfg.OS = runtime.GOARCH, "linux"
	cfg.Config = v1.Config{Env: []string{"PATH=/bin:/usr/bin"}}
	if entrypoint != "" {
		cfg.Config.Entrypoint = strings.Split(entrypoint, ",")
	}
	if img, err = mutate.ConfigFile(img, cfg); err != nil {
		return err
	}
	tag, err := name.NewTag(ref)
	if err != nil {
		return err
	}
	tmp := out + ".tmp"
	if err := tarball.WriteToFile(tmp, tag, img); err != nil {
		return err
	}
	return os.Rename(tmp, out)
}
