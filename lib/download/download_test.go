package download

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestGet(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/missing" {
			http.NotFound(w, r)
			return
		}
		_, _ = w.Write([]byte("0123456789"))
	}))
	defer srv.Close()
	ctx := context.Background()
	if data, err := Get(ctx, srv.URL+"/ok", 10); err != nil || string(data) != "0123456789" {
		t.Fatalf("%q %v", data, err)
	}
	if _, err := Get(ctx, srv.URL+"/ok", 9); err == nil || !strings.Contains(err.Error(), "too large") {
		t.Errorf("limit: %v", err)
	}
	if _, err := Get(ctx, srv.URL+"/missing", 10); err == nil || !strings.Contains(err.Error(), "404") {
		t.Errorf("404: %v", err)
	}
	file := filepath.Join(t.TempDir(), "f.yaml")
	if err := os.WriteFile(file, []byte("a: 1"), 0o600); err != nil {
		t.Fatal(err)
	}
	if data, err := URLOrFile(ctx, file, 10); err != nil || string(data) != "a: 1" {
		t.Errorf("file: %q %v", data, err)
	}
	if data, err := URLOrFile(ctx, srv.URL+"/ok", 10); err != nil || len(data) != 10 {
		t.Errorf("url: %q %v", data, err)
	}
}
