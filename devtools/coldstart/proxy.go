// Package coldstart measures the cold and warm paths of the four functions:
// real bootstrap binaries driven through the Lambda Runtime API emulator,
// talking over TLS to a Secrets Manager stand-in and to the Plex simulator
// through proxies that add a network round-trip time. The benchmarks live in
// bench_test.go; devtools/benchreport runs them and writes BENCHMARKS.md.
package coldstart

import (
	"errors"
	"io"
	"net"
	"sync"
	"time"
)

// Proxy is a TCP proxy on 127.0.0.1 that delays traffic as a network with a
// round-trip time RTT would, without limiting throughput.
//
// The model: every chunk read from either side is forwarded RTT/2 after it
// was read (one-way latency), chunks queue rather than wait for each other,
// and order is kept. Opening a connection costs the TCP handshake's round
// trip: the first chunk the client sends is held one more RTT after the
// connection was accepted, as the client could not have sent it before
// SYN/SYN-ACK. So a new TLS 1.3 connection pays 1 RTT (TCP) + 1 RTT (TLS)
// before its first request, and a reused one only the request's own RTT.
type Proxy struct {
	Addr string // host:port to dial instead of the upstream
	RTT  time.Duration

	ln       net.Listener
	upstream string
	wg       sync.WaitGroup
	mu       sync.Mutex
	conns    map[net.Conn]struct{}
	accepted int64
	closed   bool
}

// NewProxy listens on 127.0.0.1 and forwards every connection to upstream
// (host:port) with the delays above.
func NewProxy(upstream string, rtt time.Duration) (*Proxy, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	p := &Proxy{Addr: ln.Addr().String(), RTT: rtt, ln: ln, upstream: upstream, conns: map[net.Conn]struct{}{}}
	p.wg.Add(1)
	go p.serve()
	return p, nil
}

// Accepted is how many connections the proxy has accepted.
func (p *Proxy) Accepted() int64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.accepted
}

// Close stops accepting, drops every connection and waits for its goroutines.
func (p *Proxy) Close() error {
	p.mu.Lock()
	p.closed = true
	for c := range p.conns {
		c.Close()
	}
	p.mu.Unlock()
	err := p.ln.Close()
	p.wg.Wait()
	return err
}

func (p *Proxy) track(c net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		c.Close()
		return false
	}
	p.conns[c] = struct{}{}
	return true
}

func (p *Proxy) untrack(c net.Conn) {
	p.mu.Lock()
	delete(p.conns, c)
	p.mu.Unlock()
	c.Close()
}

func (p *Proxy) serve() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		p.accepted++
		p.mu.Unlock()
		if !p.track(c) {
			continue
		}
		p.wg.Add(1)
		go p.handle(c, time.Now())
	}
}

func (p *Proxy) handle(client net.Conn, accepted time.Time) {
	defer p.wg.Done()
	defer p.untrack(client)
	up, err := net.Dial("tcp", p.upstream)
	if err != nil {
		return
	}
	if !p.track(up) {
		return
	}
	defer p.untrack(up)
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); pipe(up, client, p.RTT/2, accepted.Add(p.RTT)) }()
	go func() { defer wg.Done(); pipe(client, up, p.RTT/2, time.Time{}) }()
	wg.Wait()
}

type chunk struct {
	data []byte
	due  time.Time
}

// pipe copies src to dst, each chunk written delay after it was read, and
// none before notBefore+delay. On EOF it half-closes dst; on an error it
// closes both, which ends the other direction too.
func pipe(dst, src net.Conn, delay time.Duration, notBefore time.Time) {
	q := make(chan chunk, 1024)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for c := range q {
			if d := time.Until(c.due); d > 0 {
				time.Sleep(d)
			}
			if _, err := dst.Write(c.data); err != nil {
				src.Close()
				dst.Close()
				for range q { // drain so the reader never blocks
				}
				return
			}
		}
	}()
	for {
		buf := make([]byte, 32<<10)
		n, err := src.Read(buf)
		if n > 0 {
			at := time.Now()
			if at.Before(notBefore) {
				at = notBefore
			}
			q <- chunk{data: buf[:n], due: at.Add(delay)}
		}
		if err != nil {
			close(q)
			<-done
			if errors.Is(err, io.EOF) {
				if cw, ok := dst.(interface{ CloseWrite() error }); ok {
					cw.CloseWrite()
					return
				}
			}
			dst.Close()
			src.Close()
			return
		}
	}
}
