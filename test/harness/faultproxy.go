package harness

import (
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// FaultProxy is a TCP proxy on loopback in front of a server (kube-apiserver: TLS passes through
// untouched) that a test can slow down, cut, or take down, to see how commands behave when
// the network or the server misbehaves.
type FaultProxy struct {
	Addr   string // host:port to dial instead of the target
	target string
	ln     net.Listener
	delay  atomic.Int64 // per chunk, each direction
	// latency delays every chunk by the same time without holding back the next: a long link
	// (the bytes in flight overlap), where delay is a slow one.
	latency atomic.Int64
	down    atomic.Bool // refuse new connections (accept and close at once)

	mu    sync.Mutex
	conns map[net.Conn]struct{}
	wg    sync.WaitGroup
	// Accepted counts connections the proxy let through (re-connections after a drop).
	Accepted atomic.Int64
}

// StartFaultProxy listens on 127.0.0.1 and forwards to target (host:port).
func StartFaultProxy(target string) (*FaultProxy, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	p := &FaultProxy{Addr: ln.Addr().String(), target: target, ln: ln, conns: map[net.Conn]struct{}{}}
	p.wg.Add(1)
	go p.serve()
	return p, nil
}

// SetDelay delays every chunk of bytes, both ways, by d (0: none).
func (p *FaultProxy) SetDelay(d time.Duration) { p.delay.Store(int64(d)) }

// SetLatency makes every chunk of bytes arrive d after it was sent, both ways, as over a link
// with a round trip of 2d: transfers are not slowed down beyond that (0: none). Set it before
// connections are made.
func (p *FaultProxy) SetLatency(d time.Duration) { p.latency.Store(int64(d)) }

// DropAll cuts every open connection (watches and keep-alive connections break).
func (p *FaultProxy) DropAll() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for c := range p.conns {
		c.Close()
	}
}

// SetDown makes the server unreachable (true): open connections are cut and new ones closed at
// once, as when the server's process is gone. false brings it back.
func (p *FaultProxy) SetDown(down bool) {
	p.down.Store(down)
	if down {
		p.DropAll()
	}
}

// Close stops the proxy and cuts every connection.
func (p *FaultProxy) Close() {
	p.ln.Close()
	p.DropAll()
	p.wg.Wait()
}

func (p *FaultProxy) serve() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		if p.down.Load() {
			c.Close()
			continue
		}
		p.Accepted.Add(1)
		p.wg.Add(1)
		go p.handle(c)
	}
}

func (p *FaultProxy) track(c net.Conn, add bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if add {
		p.conns[c] = struct{}{}
	} else {
		delete(p.conns, c)
	}
}

func (p *FaultProxy) handle(client net.Conn) {
	defer p.wg.Done()
	server, err := net.DialTimeout("tcp", p.target, 5*time.Second)
	if err != nil {
		client.Close()
		return
	}
	p.track(client, true)
	p.track(server, true)
	defer func() {
		p.track(client, false)
		p.track(server, false)
		client.Close()
		server.Close()
	}()
	done := make(chan struct{}, 2)
	go func() { p.pipe(server, client); done <- struct{}{} }()
	go func() { p.pipe(client, server); done <- struct{}{} }()
	<-done // one side ended: end both
}

func (p *FaultProxy) pipe(dst, src net.Conn) {
	if d := time.Duration(p.latency.Load()); d > 0 {
		p.pipeLate(dst, src, d)
		return
	}
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			if d := time.Duration(p.delay.Load()); d > 0 {
				time.Sleep(d)
			}
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil { // EOF or a cut connection
			return
		}
	}
}

// pipeLate forwards each chunk read from src to dst d after it was read, in order; it returns
// when src ended and what was read has been delivered.
func (p *FaultProxy) pipeLate(dst, src net.Conn, d time.Duration) {
	type chunk struct {
		due  time.Time
		data []byte
	}
	queue := make(chan chunk, 4096)
	delivered := make(chan struct{})
	go func() {
		defer close(delivered)
		for c := range queue {
			time.Sleep(time.Until(c.due))
			if _, err := dst.Write(c.data); err != nil {
				for range queue { // drain: the reader ends when its side closes
				}
				return
			}
		}
	}()
	for {
		buf := make([]byte, 32<<10)
		n, err := src.Read(buf)
		if n > 0 {
			queue <- chunk{due: time.Now().Add(d), data: buf[:n]}
		}
		if err != nil {
			close(queue)
			<-delivered
			return
		}
	}
}
