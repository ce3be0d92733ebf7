// Package imagepin pins a workload's images to digests: a policy that pins the commands a
// guest may run but not the image it runs them from leaves the image open to whoever controls
// the registry's tag.
package imagepin

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// Resolver gives the digest a tag points at now.
type Resolver func(ctx context.Context, ref name.Reference) (string, error)

// Registry resolves through the image's registry (a manifest HEAD, as docker and crane do), with
// the credentials of the user's Docker config (authn.DefaultKeychain) and transport.
func Registry(transport http.RoundTripper) Resolver {
	return func(ctx context.Context, ref name.Reference) (string, error) {
		opts := []remote.Option{remote.WithContext(ctx), remote.WithAuthFromKeychain(authn.DefaultKeychain)}
		if transport != nil {
			opts = append(opts, remote.WithTransport(transport))
		}
		desc, err := remote.Head(ref, opts...)
		if err != nil {
			return "", err
		}
		return desc.Digest.String(), nil
	}
}

// Pinned is what Pin did with one reference.
type Pinned struct {
	From string `json:"from"`
	To   string `json:"to"`
	// Resolved: the tag was resolved now (false: it was already a digest, or tags were allowed).
	Resolved bool `json:"resolved"`
}

// Pin maps each reference to a digest reference: one that has a digest stays; a tag is resolved
// and the digest replaces it in the reference as the user wrote it (busybox:1.36 becomes
// busybox@sha256:...). With allowTags, tags stay as they are.
func Pin(ctx context.Context, refs []string, resolve Resolver, allowTags bool) (map[string]Pinned, error) {
	out := map[string]Pinned{}
	for _, r := range refs {
		if _, done := out[r]; done {
			continue
		}
		p, err := pinOne(ctx, r, resolve, allowTags)
		if err != nil {
			return nil, err
		}
		out[r] = p
	}
	return out, nil
}

func pinOne(ctx context.Context, r string, resolve Resolver, allowTags bool) (Pinned, error) {
	ref, err := name.ParseReference(r)
	if err != nil {
		return Pinned{}, fmt.Errorf("image %q: %w", r, err)
	}
	tag, isTag := ref.(name.Tag)
	if !isTag || allowTags {
		return Pinned{From: r, To: r}, nil
	}
	digest, err := resolve(ctx, ref)
	if err != nil {
		return Pinned{}, &Unresolved{Ref: r, Err: err}
	}
	repo := strings.TrimSuffix(r, ":"+tag.TagStr())
	return Pinned{From: r, To: repo + "@" + digest, Resolved: true}, nil
}

// Unresolved is a tag the registry did not resolve.
type Unresolved struct {
	Ref string
	Err error
}

func (e *Unresolved) Error() string {
	return fmt.Sprintf("cannot resolve image %s to a digest: %v", e.Ref, e.Err)
}

func (e *Unresolved) Unwrap() error { return e.Err }

// ImageConfig is what a restricted policy needs of an image's config (OCI image config:
// Entrypoint, Cmd, Env, WorkingDir): the process a container runs when the pod does not say.
type ImageConfig struct {
	Entrypoint []string
	Cmd        []string
	Env        []string
	WorkingDir string
}

// ConfigFetcher reads an image's config.
type ConfigFetcher func(ctx context.Context, ref name.Reference) (*ImageConfig, error)

// RegistryConfig reads the config through the image's registry, with the user's credentials.
func RegistryConfig(transport http.RoundTripper) ConfigFetcher {
	return func(ctx context.Context, ref name.Reference) (*ImageConfig, error) {
		opts := []remote.Option{remote.WithContext(ctx), remote.WithAuthFromKeychain(authn.DefaultKeychain)}
		if transport != nil {
			opts = append(opts, remote.WithTransport(transport))
		}
		img, err := remote.Image(ref, opts...)
		if err != nil {
			return nil, err
		}
		cf, err := img.ConfigFile()
		if err != nil {
			return nil, err
		}
		c := cf.Config
		return &ImageConfig{Entrypoint: c.Entrypoint, Cmd: c.Cmd, Env: c.Env, WorkingDir: c.WorkingDir}, nil
	}
}

// Configs reads the config of each reference (a manifest list resolves to the platform's image,
// as remote.Image does for linux/amd64).
func Configs(ctx context.Context, refs []string, fetch ConfigFetcher) (map[string]*ImageConfig, error) {
	out := map[string]*ImageConfig{}
	for _, r := range refs {
		if out[r] != nil {
			continue
		}
		ref, err := name.ParseReference(r)
		if err != nil {
			return nil, fmt.Errorf("image %q: %w", r, err)
		}
		c, err := fetch(ctx, ref)
		if err != nil {
			return nil, &Unresolved{Ref: r, Err: fmt.Errorf("reading its config: %w", err)}
		}
		out[r] = c
	}
	return out, nil
}
