package plex

import (
	"context"
	"crypto/tls"
	"net"
	"net/http"
	"net/url"
	"slices"
	"sync"
	"time"
)

// predialMaxAge bounds how long a connection Warm dialed waits for its first
// request: servers drop connections that stay silent (often within a minute),
// and a process Lambda froze after init may thaw much later.
const predialMaxAge = 30 * time.Second

// predialer lets Warm open a connection (DNS, TCP, TLS) without sending a
// request, and hands that connection to the transport's first dial to the
// same address. It is installed only on the transport New builds itself.
type predialer struct {
	t    *http.Transport
	dial func(ctx context.Context, network, addr string) (net.Conn, error) // the transport's own

	mu    sync.Mutex
	ready map[predialKey]*predialed // one per address, taken once
}

type predialKey struct {
	tls  bool
	addr string // host:port, as the transport names it
}

type predialed struct {
	conn  net.Conn
	at    time.Time
	timer *time.Timer // closes conn if no request takes it
}

// installPredialer makes t's dials take Warm's connections. t must not be in
// use yet: its TLS config is completed here, before the transport first reads
// it, so that it is never written afterwards.
func installPredialer(t *http.Transport) *predialer {
	p := &predialer{t: t, dial: t.DialContext, ready: map[predialKey]*predialed{}}
	if p.dial == nil {
		p.dial = (&net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}).DialContext
	}
	cfg := t.TLSClientConfig.Clone()
	if cfg == nil {
		cfg = &tls.Config{}
	}
	// What the transport would offer itself: with h2 listed, a server that
	// speaks HTTP/2 gets it (ForceAttemptHTTP2 keeps h2 on despite the custom
	// dialers, and the transport reads the *tls.Conn's negotiated protocol).
	for _, proto := range []string{"h2", "http/1.1"} {
		if !slices.Contains(cfg.NextProtos, proto) {
			cfg.NextProtos = append(cfg.NextProtos, proto)
		}
	}
	t.TLSClientConfig = cfg
	t.ForceAttemptHTTP2 = true
	t.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		if c := p.take(predialKey{false, addr}); c != nil {
			return c, nil
		}
		return p.dial(ctx, network, addr)
	}
	t.DialTLSContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		if c := p.take(predialKey{true, addr}); c != nil {
			return c, nil
		}
		return p.dialTLS(ctx, network, addr)
	}
	return p
}

// dialTLS dials and handshakes as the transport does without a custom dialer.
func (p *predialer) dialTLS(ctx context.Context, network, addr string) (net.Conn, error) {
	raw, err := p.dial(ctx, network, addr)
	if err != nil {
		return nil, err
	}
	cfg := p.t.TLSClientConfig.Clone()
	if cfg.ServerName == "" {
		cfg.ServerName, _, _ = net.SplitHostPort(addr)
	}
	if d := p.t.TLSHandshakeTimeout; d > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, d)
		defer cancel()
	}
	tc := tls.Client(raw, cfg)
	if err := tc.HandshakeContext(ctx); err != nil {
		_ = raw.Close()
		return nil, err
	}
	return tc, nil
}

// warm dials u's host and leaves the connection for the transport's next
// dial to it. It reports false, doing nothing, when requests to u would go
// through a proxy: the transport would not dial u's host itself.
func (p *predialer) warm(ctx context.Context, u *url.URL) (bool, error) {
	if p.t.Proxy != nil {
		if proxy, err := p.t.Proxy(&http.Request{URL: u}); err != nil || proxy != nil {
			return false, nil
		}
	}
	k := predialKey{u.Scheme == "https", canonicalAddr(u)}
	var conn net.Conn
	var err error
	if k.tls {
		conn, err = p.dialTLS(ctx, "tcp", k.addr)
	} else {
		conn, err = p.dial(ctx, "tcp", k.addr)
	}
	if err != nil {
		return true, err
	}
	e := &predialed{conn: conn, at: time.Now()}
	p.mu.Lock()
	defer p.mu.Unlock()
	if old := p.ready[k]; old != nil { // a second Warm: the newer connection wins
		old.timer.Stop()
		_ = old.conn.Close()
	}
	e.timer = time.AfterFunc(predialMaxAge, func() { p.drop(k, e) })
	p.ready[k] = e
	return true, nil
}

// take returns the connection Warm left for k, once, or nil.
func (p *predialer) take(k predialKey) net.Conn {
	p.mu.Lock()
	defer p.mu.Unlock()
	e := p.ready[k]
	if e == nil {
		return nil
	}
	delete(p.ready, k)
	e.timer.Stop()
	if time.Since(e.at) >= predialMaxAge { // the timer could not fire: the process was frozen
		_ = e.conn.Close()
		return nil
	}
	return e.conn
}

// drop closes e if no dial has taken it.
func (p *predialer) drop(k predialKey, e *predialed) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ready[k] == e {
		delete(p.ready, k)
		_ = e.conn.Close()
	}
}

// canonicalAddr is the host:port the transport dials for u.
func canonicalAddr(u *url.URL) string {
	port := u.Port()
	if port == "" {
		port = "80"
		if u.Scheme == "https" {
			port = "443"
		}
	}
	return net.JoinHostPort(u.Hostname(), port)
}
