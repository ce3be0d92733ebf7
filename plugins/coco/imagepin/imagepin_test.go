package imagepin

import (
	"context"
	"errors"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// Tags resolve through a real registry (go-containerregistry's, on loopback) to the digest it
// serves; digests stay; an unreachable registry is an Unresolved error; --allow-tags keeps tags.
func TestPin(t *testing.T) {
	srv := httptest.NewServer(registry.New())
	defer srv.Close()
	host := strings.TrimPrefix(srv.URL, "http://")
	img, err := random.Image(64, 1)
	if err != nil {
		t.Fatal(err)
	}
	tagged := host + "/web:1.0"
	ref, _ := name.ParseReference(tagged)
	if err := remote.Write(ref, img); err != nil {
		t.Fatal(err)
	}
	digest, _ := img.Digest()
	pinned := host + "/web@" + digest.String()
	ctx := context.Background()
	got, err := Pin(ctx, []string{tagged, pinned, tagged}, Registry(nil), false)
	if err != nil {
		t.Fatal(err)
	}
	if got[tagged].To != pinned || !got[tagged].Resolved || got[pinned].To != pinned || got[pinned].Resolved || len(got) != 2 {
		t.Fatalf("%+v", got)
	}
	// A tag the registry does not have, and a registry that does not answer.
	for _, r := range []string{host + "/web:2.0", "127.0.0.1:1/web:1.0"} {
		var u *Unresolved
		if _, err := Pin(ctx, []string{r}, Registry(nil), false); !errors.As(err, &u) || u.Ref != r {
			t.Errorf("%s: %v", r, err)
		}
	}
	if got, err := Pin(ctx, []string{"127.0.0.1:1/web:1.0"}, Registry(nil), true); err != nil || got["127.0.0.1:1/web:1.0"].To != "127.0.0.1:1/web:1.0" {
		t.Fatalf("allow tags: %+v %v", got, err)
	}
	if _, err := Pin(ctx, []string{"Not A Ref"}, Registry(nil), false); err == nil {
		t.Fatal("a malformed reference")
	}
	// Docker Hub short names keep the form the user wrote.
	fake := func(context.Context, name.Reference) (string, error) { return digest.String(), nil }
	if got, _ := Pin(ctx, []string{"busybox:1.36", "busybox"}, fake, false); got["busybox:1.36"].To != "busybox@"+digest.String() || got["busybox"].To != "busybox@"+digest.String() {
		t.Fatalf("short names: %+v", got)
	}
}
