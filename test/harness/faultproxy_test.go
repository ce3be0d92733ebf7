package harness

import (
	"bytes"
	"crypto/rand"
	"io"
	"net"
	"testing"
	"time"
)

// echo serves one connection that echoes what it reads.
func echo(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		_, _ = io.Copy(c, c)
	}()
	return ln.Addr().String()
}

// With SetLatency, a round trip takes at least twice the latency and every byte arrives, in
// order, also when much is in flight.
func TestFaultProxyLatency(t *testing.T) {
	p, err := StartFaultProxy(echo(t))
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	const latency = 40 * time.Millisecond
	p.SetLatency(latency)
	c, err := net.Dial("tcp", p.Addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	start := time.Now()
	if _, err := c.Write([]byte("ping")); err != nil {
		t.Fatal(err)
	}
	got := make([]byte, 4)
	if _, err := io.ReadFull(c, got); err != nil || string(got) != "ping" {
		t.Fatalf("%q %v", got, err)
	}
	if rtt := time.Since(start); rtt < 2*latency {
		t.Fatalf("round trip %s, shorter than twice the latency %s", rtt, latency)
	}
	payload := make([]byte, 1<<20)
	_, _ = rand.Read(payload)
	go func() { _, _ = c.Write(payload) }()
	back := make([]byte, len(payload))
	if _, err := io.ReadFull(c, back); err != nil || !bytes.Equal(back, payload) {
		t.Fatalf("1 MiB echoed through the proxy differs (%v)", err)
	}
}
