package plex

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
)

func TestNew(t *testing.T) {
	tests := []struct {
		name    string
		cfg     Config
		wantErr string // substring; empty means New succeeds
	}{
		{"minimal", Config{ClientIdentifier: "id"}, ""},
		{"server with path prefix", Config{ClientIdentifier: "id", ServerURL: "http://127.0.0.1:32400/plex/"}, ""},
		{"no client identifier", Config{}, "ClientIdentifier is required"},
		{"relative server URL", Config{ClientIdentifier: "id", ServerURL: "/plex"}, "ServerURL must be an absolute"},
		{"unparsable server URL", Config{ClientIdentifier: "id", ServerURL: "http://[::1"}, "ServerURL must be an absolute"},
		{"other scheme", Config{ClientIdentifier: "id", ServerURL: "ftp://127.0.0.1"}, "ServerURL must be an absolute"},
		{"no host", Config{ClientIdentifier: "id", PlexTVURL: "https://"}, "PlexTVURL must be an absolute"},
		{"port without a host", Config{ClientIdentifier: "id", ServerURL: "http://:32400"}, "ServerURL must be an absolute"},
		{"opaque", Config{ClientIdentifier: "id", PlexTVURL: "https:plex.tv"}, "PlexTVURL must be an absolute"},
		{"credentials", Config{ClientIdentifier: "id", ServerURL: "http://u:secret@127.0.0.1"}, "must not hold credentials"},
		{"query", Config{ClientIdentifier: "id", ServerURL: "http://127.0.0.1/?X-Plex-Token=t"}, "must not hold credentials, a query"},
		{"fragment", Config{ClientIdentifier: "id", PlexTVURL: "https://plex.tv/#x"}, "a fragment"},
		{"newline in header", Config{ClientIdentifier: "id\nX-Evil: 1"}, "X-Plex-Client-Identifier holds a character"},
		{"control in device name", Config{ClientIdentifier: "id", DeviceName: "a\x00b"}, "X-Plex-Device-Name holds"},
		{"tab in version", Config{ClientIdentifier: "id", Version: "1.0\t0"}, "X-Plex-Version holds"},
		{"DEL in product", Config{ClientIdentifier: "id", Product: "plex\x7fauth"}, "X-Plex-Product holds"},
		{"non-ASCII device name", Config{ClientIdentifier: "id", DeviceName: "Wohnzimmer – Küche"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := New(tt.cfg)
			if tt.wantErr == "" {
				if err != nil || c == nil {
					t.Fatalf("New: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("New error = %v, want it to contain %q", err, tt.wantErr)
			}
			if strings.Contains(err.Error(), "secret") || strings.Contains(err.Error(), "X-Plex-Token=t") {
				t.Fatalf("New error %q quotes the URL", err)
			}
		})
	}
}

func TestNewEndpoints(t *testing.T) {
	c, err := New(Config{ClientIdentifier: "id", ServerURL: "http://127.0.0.1:32400/plex/"})
	if err != nil {
		t.Fatal(err)
	}
	for got, want := range map[string]string{
		c.transient.String(): "http://127.0.0.1:32400/plex/security/token?type=delegation&scope=all",
		c.resources.String(): "http://127.0.0.1:32400/plex/security/resources",
		c.user.String():      "https://plex.tv/api/v2/user",
		c.signIn.String():    "https://plex.tv/api/v2/users/signin",
	} {
		if got != want {
			t.Errorf("endpoint %q, want %q", got, want)
		}
	}
	if c.retry != (RetryPolicy{MaxAttempts: 3, BaseDelay: 100e6, MaxDelay: 2e9}) || c.maxBody != 256<<10 {
		t.Errorf("defaults: retry %+v, maxBody %d", c.retry, c.maxBody)
	}
}

// TestHeaders checks what each operation puts on the wire: method, path,
// query, exactly one Accept: application/json, the client headers, and the
// token in X-Plex-Token only.
func TestHeaders(t *testing.T) {
	full := Config{
		ClientIdentifier: testClientID, Product: "Prod", Version: "9.9", Platform: "Linux",
		PlatformVersion: "6.1", Device: "Lambda", DeviceName: "plexauth-dev",
	}
	tests := []struct {
		op, method, path, query string
		answer                  answer
	}{
		{"transient", "POST", "/security/token", "type=delegation&scope=all", answer{200, "application/json", transientJSON, nil}},
		{"source", "GET", "/security/resources", "source=server%3A%2F%2Fa1b2c3d4e5f6", answer{200, "application/json", resourcesJSON, nil}},
		{"user", "GET", "/api/v2/user", "", answer{200, "application/json", userJSON, nil}},
		{"signin", "POST", "/api/v2/users/signin", "", answer{201, "application/json", userJSON, nil}},
	}
	for _, cfgName := range []string{"minimal", "full"} {
		for _, tt := range tests {
			t.Run(cfgName+"/"+tt.op, func(t *testing.T) {
				f := newFake(t, tt.answer)
				cfg := Config{}
				if cfgName == "full" {
					cfg = full
				}
				cfg.ServerURL, cfg.PlexTVURL = f.URL, f.URL
				c := testClient(t, cfg)
				if err := ops[tt.op](context.Background(), c); err != nil {
					t.Fatal(err)
				}
				reqs := f.requests()
				if len(reqs) != 1 {
					t.Fatalf("%d requests, want 1", len(reqs))
				}
				r := reqs[0]
				if r.Method != tt.method || r.Path != tt.path || r.RawQuery != tt.query {
					t.Errorf("request %s %s?%s, want %s %s?%s", r.Method, r.Path, r.RawQuery, tt.method, tt.path, tt.query)
				}
				want := map[string]string{
					"Accept":                   "application/json",
					"X-Plex-Client-Identifier": testClientID,
					"X-Plex-Product":           "plexauth",
					"X-Plex-Version":           "1.0.0",
					"X-Plex-Platform":          "",
					"X-Plex-Platform-Version":  "",
					"X-Plex-Device":            "",
					"X-Plex-Device-Name":       "",
					"X-Plex-Token":             testToken,
				}
				if cfgName == "full" {
					for k, v := range map[string]string{"X-Plex-Product": "Prod", "X-Plex-Version": "9.9", "X-Plex-Platform": "Linux",
						"X-Plex-Platform-Version": "6.1", "X-Plex-Device": "Lambda", "X-Plex-Device-Name": "plexauth-dev"} {
						want[k] = v
					}
				}
				if tt.op == "signin" {
					want["X-Plex-Token"] = ""
					want["Content-Type"] = "application/x-www-form-urlencoded"
				}
				for k, v := range want {
					got := r.Header.Values(k)
					if (v == "" && len(got) != 0) || (v != "" && !reflect.DeepEqual(got, []string{v})) {
						t.Errorf("header %s = %q, want %q", k, got, v)
					}
				}
				if strings.Contains(r.RequestURI, testToken) || strings.Contains(r.RequestURI, testPassword) {
					t.Errorf("secret in request URI %q", r.RequestURI)
				}
				if tt.op == "signin" {
					wantForm := map[string][]string{"login": {"alice"}, "password": {testPassword}, "verificationCode": {"123456"}, "rememberMe": {"false"}}
					if !reflect.DeepEqual(map[string][]string(r.Form), wantForm) {
						t.Errorf("form %v, want %v", r.Form, wantForm)
					}
				}
			})
		}
	}
}

func TestSourceQuery(t *testing.T) {
	tests := []struct {
		q    SourceQuery
		want string
	}{
		{SourceQuery{Source: "provider://tv.plex.provider.epg"}, "source=provider%3A%2F%2Ftv.plex.provider.epg"},
		{SourceQuery{Source: "server://a1b2", Refresh: true}, "source=server%3A%2F%2Fa1b2&refresh=1"},
	}
	for _, tt := range tests {
		f := newFake(t, answer{200, "application/json", resourcesJSON, nil})
		c := fakeClient(t, f)
		if _, err := c.Source(context.Background(), testToken, tt.q); err != nil {
			t.Fatal(err)
		}
		if got := f.requests()[0].RawQuery; got != tt.want {
			t.Errorf("query %q, want %q", got, tt.want)
		}
	}
}

func TestRememberMe(t *testing.T) {
	f := newFake(t, answer{201, "application/json", userJSON, nil})
	c := fakeClient(t, f)
	if _, err := c.SignIn(context.Background(), Credentials{Login: "a", Password: "b", RememberMe: true}); err != nil {
		t.Fatal(err)
	}
	form := f.requests()[0].Form
	if form.Get("rememberMe") != "true" || form.Has("verificationCode") {
		t.Errorf("form %v: want rememberMe=true and no verificationCode", form)
	}
}

// TestWarm: Warm leaves one connection the call reuses. With a caller's
// HTTPClient it gets it by a HEAD / without a token (on New's own client,
// TestWarmPredials: no request at all).
func TestWarm(t *testing.T) {
	f := newFake(t, answer{404, "text/html", "<html>not here</html>", nil}, answer{200, "application/json", transientJSON, nil})
	c := testClient(t, Config{ServerURL: f.URL, PlexTVURL: f.URL, HTTPClient: &http.Client{}})
	for _, h := range []Host{ServerHost, PlexTVHost} {
		if err := c.Warm(context.Background(), h); err != nil {
			t.Fatalf("Warm(%d): %v", h, err)
		}
	}
	if _, err := c.TransientToken(context.Background(), testToken); err != nil {
		t.Fatal(err)
	}
	reqs := f.requests()
	if len(reqs) != 3 || reqs[0].Method != http.MethodHead || reqs[0].Path != "/" || reqs[0].Header.Get("X-Plex-Token") != "" {
		t.Fatalf("requests %+v, want HEAD / without a token, twice, then the call", reqs)
	}
	if n := f.conns.Load(); n != 1 {
		t.Errorf("%d connections, want the warmed one reused", n)
	}
}

func TestWarmErrors(t *testing.T) {
	noServer := testClient(t, Config{PlexTVURL: "http://" + closedAddr(t)})
	tests := []struct {
		name string
		h    Host
		kind error
	}{
		{"no server configured", ServerHost, ErrNotConfigured},
		{"unknown host", Host(7), ErrInvalidInput},
		{"connection refused", PlexTVHost, ErrUpstream},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			asError(t, noServer.Warm(context.Background(), tt.h), tt.kind)
		})
	}
}

// TestRedirectNotFollowed: Go forwards custom headers such as X-Plex-Token to
// a redirect's target, so a redirect is an upstream error, not a hop.
func TestRedirectNotFollowed(t *testing.T) {
	elsewhere := newFake(t, answer{200, "application/json", transientJSON, nil})
	f := newFake(t, answer{http.StatusFound, "", "", http.Header{"Location": {elsewhere.URL + "/security/token"}}})
	for name, hc := range map[string]*http.Client{"default client": nil, "injected client": {}} {
		t.Run(name, func(t *testing.T) {
			c := testClient(t, Config{ServerURL: f.URL, HTTPClient: hc, Retry: RetryPolicy{MaxAttempts: 1}})
			_, err := c.TransientToken(context.Background(), testToken)
			if e := asError(t, err, ErrUpstream); e.Status != http.StatusFound {
				t.Errorf("status %d, want 302", e.Status)
			}
			if n := len(elsewhere.requests()); n != 0 {
				t.Errorf("the redirect target got %d requests", n)
			}
			if hc != nil && hc.CheckRedirect != nil {
				t.Error("New changed the caller's http.Client")
			}
		})
	}
}

// warmGate is a Plex in memory (for a synctest bubble) whose answer to
// Warm's HEAD waits until release is closed. It reports each HEAD on heads
// and each new connection on conns.
type warmGate struct {
	*httptest.Server
	pipe         *pipeListener
	heads, conns chan struct{}
	release      chan struct{}
	n            atomic.Int64
}

func newWarmGate(t *testing.T) *warmGate {
	t.Helper()
	g := &warmGate{pipe: newPipeListener(), heads: make(chan struct{}, 8), conns: make(chan struct{}, 8), release: make(chan struct{})}
	g.Server = &httptest.Server{Listener: g.pipe, Config: &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodHead {
			g.heads <- struct{}{}
			<-g.release
			return
		}
		w.Header().Set("Content-Type", "application/json")
		if r.URL.Path == "/security/token" {
			_, _ = io.WriteString(w, transientJSON)
			return
		}
		_, _ = io.WriteString(w, userJSON)
	})}}
	g.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			g.n.Add(1)
			g.conns <- struct{}{}
		}
	}
	g.Start()
	t.Cleanup(g.Close)
	t.Cleanup(func() { g.open() }) // before Close: a held HEAD would block it
	return g
}

func (g *warmGate) client(t *testing.T, cfg Config) *Client {
	cfg.HTTPClient = g.pipe.httpClient()
	return testClient(t, cfg)
}

func (g *warmGate) open() {
	select {
	case <-g.release:
	default:
		close(g.release)
	}
}

// pending fails the test if errc already holds a result.
func pending(t *testing.T, errc <-chan error, msg string) {
	t.Helper()
	select {
	case err := <-errc:
		t.Fatalf("%s (err %v)", msg, err)
	default:
	}
}

// TestCallWaitsForWarm: a call that starts while Warm still holds the only
// connection to its host waits for Warm and reuses that connection, instead
// of dialing a second one. synctest.Wait orders every step; nothing is timed.
func TestCallWaitsForWarm(t *testing.T) {
	for _, tt := range []struct {
		name string
		h    Host
		call func(ctx context.Context, c *Client) error
	}{
		{"plex.tv", PlexTVHost, func(ctx context.Context, c *Client) error { _, err := c.User(ctx, testToken); return err }},
		{"server", ServerHost, func(ctx context.Context, c *Client) error { _, err := c.TransientToken(ctx, testToken); return err }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				g := newWarmGate(t)
				c := g.client(t, Config{ServerURL: g.URL, PlexTVURL: g.URL})

				warmErr := make(chan error, 1)
				go func() { warmErr <- c.Warm(t.Context(), tt.h) }()
				<-g.conns // Warm's connection
				<-g.heads // its HEAD is held: the connection is busy

				callErr := make(chan error, 1)
				go func() { callErr <- tt.call(t.Context(), c) }()
				synctest.Wait() // the call is blocked: on Warm, or on a second connection's answer
				select {
				case <-g.conns:
					t.Fatal("the call dialed a second connection while Warm was in flight")
				default:
				}
				pending(t, callErr, "the call did not wait for Warm")
				g.open()
				if err := <-warmErr; err != nil {
					t.Fatalf("Warm: %v", err)
				}
				if err := <-callErr; err != nil {
					t.Fatalf("call: %v", err)
				}
				if n := g.n.Load(); n != 1 {
					t.Errorf("%d connections, want the warmed one reused", n)
				}
				if c.warming[tt.h].Load() != nil {
					t.Error("Warm returned but is still marked in flight")
				}
			})
		})
	}
}

// TestWarmIsPerHost: a Warm makes calls to its own host wait, never calls to
// the other host, even when one server answers for both (a simulator): each
// function calls the one host it warms.
func TestWarmIsPerHost(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		g := newWarmGate(t)
		c := g.client(t, Config{ServerURL: g.URL, PlexTVURL: g.URL})

		warmErr := make(chan error, 1)
		go func() { warmErr <- c.Warm(t.Context(), ServerHost) }()
		<-g.heads // the server's Warm is held
		userErr := make(chan error, 1)
		go func() { _, err := c.User(t.Context(), testToken); userErr <- err }()
		synctest.Wait()
		select {
		case err := <-userErr:
			if err != nil {
				t.Fatalf("User while the server's Warm is held: %v", err)
			}
		default:
			t.Fatal("a plex.tv call waited for the server's Warm")
		}
		g.open()
		if err := <-warmErr; err != nil {
			t.Fatalf("Warm: %v", err)
		}
	})
}

// TestCallWaitForWarmEndsWithContext: the wait for Warm is bounded by the
// call's context.
func TestCallWaitForWarmEndsWithContext(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		g := newWarmGate(t)
		c := g.client(t, Config{PlexTVURL: g.URL})

		warmErr := make(chan error, 1)
		go func() { warmErr <- c.Warm(t.Context(), PlexTVHost) }()
		<-g.heads

		ctx, cancel := context.WithCancel(t.Context())
		callErr := make(chan error, 1)
		go func() { _, err := c.User(ctx, testToken); callErr <- err }()
		synctest.Wait()
		pending(t, callErr, "the call did not wait for Warm")
		cancel()
		asError(t, <-callErr, ErrTimeout) // returned while the HEAD is still held
		g.open()
		if err := <-warmErr; err != nil {
			t.Fatalf("Warm: %v", err)
		}
	})
}

type countingTransport struct {
	base http.RoundTripper
	n    atomic.Int64
}

func (c *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	c.n.Add(1)
	return c.base.RoundTrip(r)
}

// TestNewWithWrappedDefaultTransport: a process that wrapped
// http.DefaultTransport (as tracing libraries do) gets a working client that
// goes through the wrapper, not a panic in New.
func TestNewWithWrappedDefaultTransport(t *testing.T) {
	f := newFake(t, answer{200, "application/json", userJSON, nil})
	orig := http.DefaultTransport
	wrapped := &countingTransport{base: orig}
	http.DefaultTransport = wrapped
	defer func() { http.DefaultTransport = orig }()

	c, err := New(Config{PlexTVURL: f.URL, ClientIdentifier: testClientID})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	if _, err := c.User(context.Background(), testToken); err != nil {
		t.Fatalf("User: %v", err)
	}
	if n := wrapped.n.Load(); n != 1 {
		t.Errorf("%d requests through the wrapped DefaultTransport, want 1", n)
	}
}
