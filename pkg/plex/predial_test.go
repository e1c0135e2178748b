package plex

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"
)

// connServer is a Plex on 127.0.0.1 that answers every request with a user
// and records, per request, its method, path and protocol, and how many
// connections it accepted.
type connServer struct {
	*httptest.Server
	conns atomic.Int64
	mu    sync.Mutex
	reqs  []string // "METHOD path HTTP/x"
}

func newConnServer(t *testing.T, tlsMode string, wrap func(net.Listener) net.Listener) *connServer {
	t.Helper()
	s := &connServer{}
	s.Server = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.reqs = append(s.reqs, r.Method+" "+r.URL.Path+" "+r.Proto)
		s.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, userJSON)
	}))
	s.Config.ConnState = func(_ net.Conn, st http.ConnState) {
		if st == http.StateNew {
			s.conns.Add(1)
		}
	}
	if wrap != nil {
		s.Listener = wrap(s.Listener)
	}
	switch tlsMode {
	case "":
		s.Start()
	case "h2":
		s.EnableHTTP2 = true
		s.StartTLS()
	default:
		s.StartTLS()
	}
	t.Cleanup(s.Close)
	return s
}

func (s *connServer) requests() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.reqs...)
}

// defaultClient is a Client on the transport New builds, trusting s's
// certificate through that transport's TLS config.
func defaultClient(t *testing.T, s *connServer) *Client {
	t.Helper()
	c := testClient(t, Config{PlexTVURL: s.URL})
	if s.TLS != nil {
		c.hc.Transport.(*http.Transport).TLSClientConfig.RootCAs = s.Client().Transport.(*http.Transport).TLSClientConfig.RootCAs
	}
	return c
}

// TestWarmPredials: on the client New builds, Warm connects (TCP, TLS)
// without a request, and the first call takes that connection: one
// connection, and the server sees only the call, over HTTP/2 where offered.
func TestWarmPredials(t *testing.T) {
	for _, tt := range []struct {
		name, tls, proto string
	}{
		{"plain http", "", "HTTP/1.1"},
		{"tls", "http/1.1", "HTTP/1.1"},
		{"tls with h2", "h2", "HTTP/2.0"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := newConnServer(t, tt.tls, nil)
			c := defaultClient(t, s)
			if err := c.Warm(t.Context(), PlexTVHost); err != nil {
				t.Fatalf("Warm: %v", err)
			}
			if reqs := s.requests(); len(reqs) != 0 {
				t.Fatalf("Warm sent %v, want no request", reqs)
			}
			if n := c.pre.count(); n != 1 {
				t.Fatalf("%d pre-dialed connections after Warm, want 1", n)
			}
			if _, err := c.User(t.Context(), testToken); err != nil {
				t.Fatalf("User: %v", err)
			}
			if reqs, want := s.requests(), "GET /api/v2/user "+tt.proto; len(reqs) != 1 || reqs[0] != want {
				t.Errorf("requests %v, want only %q", reqs, want)
			}
			if n := s.conns.Load(); n != 1 {
				t.Errorf("%d connections, want Warm's taken by the call", n)
			}
			if n := c.pre.count(); n != 0 {
				t.Errorf("%d pre-dialed connections left after the call", n)
			}
		})
	}
}

// failFirst closes the first connection it accepts, so that a TLS handshake
// on it fails.
type failFirst struct {
	net.Listener
	once sync.Once
}

func (l *failFirst) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		first := false
		l.once.Do(func() { first = true })
		if !first {
			return c, nil
		}
		_ = c.Close()
	}
}

// TestWarmFailureThenCallDials: a Warm that cannot connect returns the error
// and leaves nothing behind; the call then dials as usual.
func TestWarmFailureThenCallDials(t *testing.T) {
	for _, tt := range []struct {
		name string
		warm func(t *testing.T, c *Client) error
		wrap func(net.Listener) net.Listener
	}{
		{"handshake fails", func(t *testing.T, c *Client) error { return c.Warm(t.Context(), PlexTVHost) },
			func(l net.Listener) net.Listener { return &failFirst{Listener: l} }},
		{"context ended", func(t *testing.T, c *Client) error {
			ctx, cancel := context.WithCancel(t.Context())
			cancel()
			return c.Warm(ctx, PlexTVHost)
		}, nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := newConnServer(t, "http/1.1", tt.wrap)
			c := defaultClient(t, s)
			var e *Error
			if err := tt.warm(t, c); !errors.As(err, &e) || e.Op != "warm" {
				t.Fatalf("Warm error %v, want a warm *Error", err)
			}
			if n := c.pre.count(); n != 0 {
				t.Fatalf("a failed Warm left %d connections", n)
			}
			if _, err := c.User(t.Context(), testToken); err != nil {
				t.Fatalf("User after a failed Warm: %v", err)
			}
			if reqs := s.requests(); len(reqs) != 1 {
				t.Errorf("requests %v, want the call only", reqs)
			}
		})
	}
}

// TestPredialedConnClosed: a pre-dialed connection no call takes is closed,
// after predialMaxAge or when a second Warm replaces it; a later call dials
// anew.
func TestPredialedConnClosed(t *testing.T) {
	for _, tt := range []struct {
		name  string
		after func(t *testing.T, c *Client)
	}{
		{"unused", func(*testing.T, *Client) { time.Sleep(predialMaxAge) }},
		{"second warm", func(t *testing.T, c *Client) {
			if err := c.Warm(t.Context(), PlexTVHost); err != nil {
				t.Fatalf("second Warm: %v", err)
			}
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				f := newPipeFake(t, answer{200, "application/json", userJSON, nil})
				c := testClient(t, Config{PlexTVURL: f.URL})
				var dialed []net.Conn
				c.pre.dial = func(ctx context.Context, network, addr string) (net.Conn, error) {
					conn, err := f.pipe.dial(ctx, network, addr)
					dialed = append(dialed, conn)
					return conn, err
				}
				if err := c.Warm(t.Context(), PlexTVHost); err != nil {
					t.Fatalf("Warm: %v", err)
				}
				tt.after(t, c)
				synctest.Wait()
				if _, err := dialed[0].Read(make([]byte, 1)); !errors.Is(err, io.ErrClosedPipe) {
					t.Errorf("first pre-dialed connection: read %v, want it closed", err)
				}
				if _, err := c.User(t.Context(), testToken); err != nil {
					t.Fatalf("User: %v", err)
				}
				if n := len(f.requests()); n != 1 {
					t.Errorf("%d requests, want the call only", n)
				}
			})
		})
	}
}

func (p *predialer) count() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.ready)
}

// TestCallWaitsForPredial: a call that starts while Warm is still dialing
// waits for it and takes its connection rather than dialing a second one.
func TestCallWaitsForPredial(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newPipeFake(t, answer{200, "application/json", userJSON, nil})
		c := testClient(t, Config{PlexTVURL: f.URL})
		dialing, release := make(chan struct{}, 8), make(chan struct{})
		c.pre.dial = func(ctx context.Context, network, addr string) (net.Conn, error) {
			dialing <- struct{}{}
			<-release
			return f.pipe.dial(ctx, network, addr)
		}
		warmErr := make(chan error, 1)
		go func() { warmErr <- c.Warm(t.Context(), PlexTVHost) }()
		<-dialing // Warm's dial is held
		callErr := make(chan error, 1)
		go func() { _, err := c.User(t.Context(), testToken); callErr <- err }()
		synctest.Wait()
		select {
		case <-dialing:
			t.Fatal("the call dialed while Warm was in flight")
		default:
		}
		pending(t, callErr, "the call did not wait for Warm")
		close(release)
		if err := <-warmErr; err != nil {
			t.Fatalf("Warm: %v", err)
		}
		if err := <-callErr; err != nil {
			t.Fatalf("call: %v", err)
		}
		if n := len(dialing); n != 0 || f.conns.Load() != 1 {
			t.Errorf("%d more dials, %d connections: want Warm's one taken", n, f.conns.Load())
		}
	})
}
