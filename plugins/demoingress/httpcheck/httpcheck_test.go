package httpcheck

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestOutcomes(t *testing.T) {
	good := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte("hello from the demo app on " + r.URL.Path + "\n\x00"))
	}))
	defer good.Close()
	notFound := httptest.NewServer(http.NotFoundHandler())
	defer notFound.Close()
	unavailable := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(503) }))
	defer unavailable.Close()
	block := make(chan struct{})
	hang := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { <-block }))
	defer hang.Close()
	defer close(block)
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	refusedAddr := l.Addr().String()
	l.Close()

	for _, tc := range []struct {
		name, url, kind, explain string
		status                   int
	}{
		{"good", good.URL + "/demo", OK, `"hello from the demo app on /demo ?"`, 200},
		{"404", notFound.URL + "/demo", HTTPError, "no rule matches this path", 404},
		{"503", unavailable.URL + "/demo", HTTPError, "no ready backend", 503},
		{"hang", hang.URL + "/demo", Timeout, "no answer within the time limit", 0},
		{"refused", "http://" + refusedAddr + "/demo", Refused, "nothing listens on the port", 0},
	} {
		ctx, cancel := context.WithTimeout(context.Background(), 1500*time.Millisecond)
		r := Check(ctx, tc.url, Options{PerTry: 400 * time.Millisecond, Interval: 100 * time.Millisecond})
		cancel()
		if r.Kind != tc.kind || r.Status != tc.status || !strings.Contains(Explain(r), tc.explain) {
			t.Errorf("%s: %+v → %s", tc.name, r, Explain(r))
		}
		if tc.kind != OK && r.Attempts < 2 {
			t.Errorf("%s: not retried (%d attempts)", tc.name, r.Attempts)
		}
	}
}

func TestRetriesUntilGood(t *testing.T) {
	calls := 0
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		calls++
		if calls < 3 {
			w.WriteHeader(503)
			return
		}
		_, _ = w.Write([]byte("ok"))
	}))
	defer s.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	r := Check(ctx, s.URL, Options{Interval: 50 * time.Millisecond})
	if r.Kind != OK || r.Attempts != 3 || r.Body != "ok" {
		t.Fatalf("%+v", r)
	}
}
