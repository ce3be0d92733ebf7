// Package httpcheck requests the demo URL the way a person with curl would, with retries until a
// deadline, and names what went wrong: no answer, connection refused, a hang, or an HTTP error.
package httpcheck

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"syscall"
	"time"
	"unicode/utf8"
)

// Kinds of outcome.
const (
	OK          = "ok"
	HTTPError   = "http-status"
	Refused     = "connection-refused"
	Timeout     = "timeout"
	Unreachable = "unreachable"
	Other       = "error"
)

// Result is the last attempt's outcome.
type Result struct {
	URL       string        `json:"url"`
	Kind      string        `json:"kind"`
	Status    int           `json:"status,omitempty"`
	Latency   time.Duration `json:"-"`
	LatencyMS int64         `json:"latencyMs"`
	Body      string        `json:"body,omitempty"`
	// Location is a redirect's target (redirects are not followed).
	Location string `json:"location,omitempty"`
	Attempts int    `json:"attempts"`
	Error    string `json:"error,omitempty"`
}

// Options tune Check.
type Options struct {
	// PerTry bounds one request (a hanging server counts as a timeout).
	PerTry time.Duration
	// Interval between attempts (doubling up to 5s).
	Interval time.Duration
	// BodyBytes is how much of the body is kept.
	BodyBytes int
	// Host, if set, is sent as the Host header (a host-based rule on an IP address).
	Host string
	// OnAttempt, if set, sees each failed attempt (for progress).
	OnAttempt func(Result)
	// Attempts bounds the attempts (0: until 2xx or ctx ends); 1 takes any answer as it comes.
	Attempts int
}

// Check requests url until it answers 2xx or ctx ends; it returns the last result.
func Check(ctx context.Context, url string, o Options) Result {
	if o.PerTry <= 0 {
		o.PerTry = 5 * time.Second
	}
	if o.Interval <= 0 {
		o.Interval = 500 * time.Millisecond
	}
	if o.BodyBytes <= 0 {
		o.BodyBytes = 200
	}
	client := &http.Client{
		// No proxy from the environment: the point is to reach the cluster's address directly.
		Transport:     &http.Transport{Proxy: nil, DisableKeepAlives: true, DialContext: (&net.Dialer{Timeout: o.PerTry}).DialContext},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	var last Result
	wait := o.Interval
	for attempt := 1; ; attempt++ {
		r := once(ctx, client, url, o)
		if r.Kind == Timeout && ctx.Err() != nil && attempt > 1 && last.Kind != Timeout {
			// The overall deadline cut this attempt short: the previous answer says more.
			last.Attempts = attempt
			return last
		}
		last = r
		last.Attempts = attempt
		if last.Kind == OK || (o.Attempts > 0 && attempt >= o.Attempts) {
			return last
		}
		if o.OnAttempt != nil {
			o.OnAttempt(last)
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return last
		case <-t.C:
		}
		wait = min(wait*2, 5*time.Second)
	}
}

func once(ctx context.Context, client *http.Client, url string, o Options) Result {
	r := Result{URL: url}
	ctx, cancel := context.WithTimeout(ctx, o.PerTry)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		r.Kind, r.Error = Other, err.Error()
		return r
	}
	req.Header.Set("User-Agent", "kubectl-demoingress")
	if o.Host != "" {
		req.Host = o.Host
	}
	start := time.Now()
	resp, err := client.Do(req)
	if err != nil {
		r.Latency = time.Since(start)
		r.LatencyMS = r.Latency.Milliseconds()
		r.Kind, r.Error = classify(err), err.Error()
		return r
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, int64(o.BodyBytes)))
	r.Latency = time.Since(start)
	r.LatencyMS = r.Latency.Milliseconds()
	r.Status = resp.StatusCode
	r.Body = printable(body)
	r.Location = resp.Header.Get("Location")
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		r.Kind = OK
	} else {
		r.Kind = HTTPError
	}
	return r
}

func classify(err error) string {
	var ne net.Error
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		return Refused
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, os.ErrDeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		return Timeout
	case errors.Is(err, syscall.EHOSTUNREACH), errors.Is(err, syscall.ENETUNREACH):
		return Unreachable
	}
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) {
		return Unreachable
	}
	return Other
}

// printable keeps the body readable on a terminal: valid UTF-8, no control characters.
func printable(b []byte) string {
	s := strings.ToValidUTF8(string(b), "?")
	var sb strings.Builder
	for _, r := range s {
		switch {
		case r == '\n' || r == '\t':
			sb.WriteRune(' ')
		case r < 0x20 || r == 0x7f:
			sb.WriteRune('?')
		default:
			sb.WriteRune(r)
		}
	}
	out := strings.TrimSpace(sb.String())
	if !utf8.ValidString(out) {
		return ""
	}
	return out
}

// Explain says in one sentence what the result means for the demo route.
func Explain(r Result) string {
	switch r.Kind {
	case OK:
		return fmt.Sprintf("HTTP %d in %dms: %q", r.Status, r.LatencyMS, r.Body)
	case HTTPError:
		hint := ""
		switch {
		case r.Status == 404:
			hint = ": the ingress controller answers but no rule matches this path (or host): check the Ingress path and --host"
		case r.Status == 502 || r.Status == 503 || r.Status == 504:
			hint = ": the ingress controller has no ready backend: the demo pods are not ready or the Service has no endpoints"
		}
		return fmt.Sprintf("HTTP %d after %d attempt(s)%s", r.Status, r.Attempts, hint)
	case Refused:
		return fmt.Sprintf("connection refused after %d attempt(s): the address is reachable but nothing listens on the port (is the ingress controller running, is the load balancer forwarding?)", r.Attempts)
	case Timeout:
		return fmt.Sprintf("no answer within the time limit after %d attempt(s): a firewall, security group or load balancer drops the traffic, or the server hangs", r.Attempts)
	case Unreachable:
		return fmt.Sprintf("the address cannot be reached after %d attempt(s): %s", r.Attempts, r.Error)
	}
	return fmt.Sprintf("request failed after %d attempt(s): %s", r.Attempts, r.Error)
}
