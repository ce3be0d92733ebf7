// Package download fetches a file over HTTP(S) with a size bound (a chart index, a chart, an
// install manifest), or reads it from disk when given a path.
package download

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
)

// Get fetches u and fails on anything but 200 or on more than limit bytes.
func Get(ctx context.Context, u string, limit int64) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: HTTP %s", u, resp.Status)
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > limit {
		return nil, errors.New("GET " + u + ": response too large")
	}
	return data, nil
}

// URLOrFile is Get for an http(s) URL, and reads any other source as a file.
func URLOrFile(ctx context.Context, src string, limit int64) ([]byte, error) {
	if strings.HasPrefix(src, "https://") || strings.HasPrefix(src, "http://") {
		return Get(ctx, src, limit)
	}
	return os.ReadFile(src)
}
