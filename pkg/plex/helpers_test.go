package plex

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

const (
	testToken    = "admin-token-Xy7Qp2"
	testPassword = "pw-Zk9-horse-staple"
	testClientID = "test-client-id"
)

// answer is one canned reply of a fake Plex.
type answer struct {
	status int    // hangUpStatus: read the request, close the connection unanswered
	ctype  string // Content-Type; empty sends none
	body   string
	header http.Header
}

const hangUpStatus = -1

// seen is what a fake Plex received, and when (in a synctest bubble, the
// bubble's time).
type seen struct {
	Method, Path, RawQuery, RequestURI string
	Header                             http.Header
	Form                               url.Values
	At                                 time.Time
}

// fake is a Plex (server and plex.tv alike) giving its answers in order, the
// last one repeated: on 127.0.0.1 (newFake) or in memory (newPipeFake).
type fake struct {
	*httptest.Server
	pipe    *pipeListener // set for newPipeFake
	answers []answer
	conns   atomic.Int64
	mu      sync.Mutex
	seen    []seen
}

func newFake(t *testing.T, answers ...answer) *fake {
	t.Helper()
	f := &fake{answers: answers}
	f.Server = httptest.NewUnstartedServer(http.HandlerFunc(f.serve))
	return f.start(t)
}

// newPipeFake is newFake on a pipeListener, for tests in a synctest bubble:
// reach it through f.httpClient().
func newPipeFake(t *testing.T, answers ...answer) *fake {
	t.Helper()
	f := &fake{answers: answers, pipe: newPipeListener()}
	f.Server = &httptest.Server{Listener: f.pipe, Config: &http.Server{Handler: http.HandlerFunc(f.serve)}}
	return f.start(t)
}

func (f *fake) start(t *testing.T) *fake {
	f.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			f.conns.Add(1)
		}
	}
	f.Start()
	t.Cleanup(f.Close)
	return f
}

// httpClient is the client that reaches f: nil (the default) for a loopback
// fake.
func (f *fake) httpClient() *http.Client {
	if f.pipe == nil {
		return nil
	}
	return f.pipe.httpClient()
}

func (f *fake) serve(w http.ResponseWriter, r *http.Request) {
	_ = r.ParseForm()
	f.mu.Lock()
	n := len(f.seen)
	f.seen = append(f.seen, seen{r.Method, r.URL.Path, r.URL.RawQuery, r.RequestURI, r.Header.Clone(), r.PostForm, time.Now()})
	f.mu.Unlock()
	a := f.answers[min(n, len(f.answers)-1)]
	if a.status == hangUpStatus {
		if conn, _, err := w.(http.Hijacker).Hijack(); err == nil {
			_ = conn.Close()
		}
		return
	}
	for k, v := range a.header {
		w.Header()[k] = v
	}
	w.Header()["Content-Type"] = nil // nil stops net/http from sniffing one
	if a.ctype != "" {
		w.Header().Set("Content-Type", a.ctype)
	}
	w.WriteHeader(a.status)
	_, _ = io.WriteString(w, a.body)
}

func (f *fake) requests() []seen {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]seen(nil), f.seen...)
}

// gaps is the time between successive requests, where there is any: in a
// synctest bubble, where exchanges take no time, exactly the backoff waits
// the client slept (a request sent again at once, as TransientToken's verb
// fallback does, waited nothing).
func (f *fake) gaps() []time.Duration {
	var d []time.Duration
	reqs := f.requests()
	for i := 1; i < len(reqs); i++ {
		if gap := reqs[i].At.Sub(reqs[i-1].At); gap != 0 {
			d = append(d, gap)
		}
	}
	return d
}

// pipeListener is a net.Listener in memory: its dial hands Accept one end of
// a net.Pipe. In a synctest bubble a goroutine waiting on a pipe is durably
// blocked (on a loopback socket it is not), so the bubble's clock can
// advance, and synctest.Wait return, while connections are open.
type pipeListener struct {
	conns     chan net.Conn
	done      chan struct{}
	closeOnce sync.Once
}

func newPipeListener() *pipeListener {
	return &pipeListener{conns: make(chan net.Conn), done: make(chan struct{})}
}

func (l *pipeListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}

func (l *pipeListener) Close() error {
	l.closeOnce.Do(func() { close(l.done) })
	return nil
}

func (l *pipeListener) Addr() net.Addr { return pipeAddr{} }

func (l *pipeListener) dial(ctx context.Context, network, _ string) (net.Conn, error) {
	client, server := net.Pipe()
	select {
	case l.conns <- server:
		return client, nil
	case <-l.done:
		return nil, &net.OpError{Op: "dial", Net: network, Err: net.ErrClosed}
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// httpClient dials l whatever the request's host.
func (l *pipeListener) httpClient() *http.Client {
	return &http.Client{Transport: &http.Transport{DialContext: l.dial}}
}

// pipeAddr names the listener in the fake's URL; no request resolves it.
type pipeAddr struct{}

func (pipeAddr) Network() string { return "pipe" }
func (pipeAddr) String() string  { return "plex.pipe" }

// testClient builds a Client with a jitter that always takes the ceiling, so
// that the backoff schedule is exact.
func testClient(t *testing.T, cfg Config) *Client {
	t.Helper()
	if cfg.ClientIdentifier == "" {
		cfg.ClientIdentifier = testClientID
	}
	c, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	c.jitter = func(d time.Duration) time.Duration { return d }
	return c
}

// fakeClient is testClient for f, as server and plex.tv.
func fakeClient(t *testing.T, f *fake) *Client {
	return testClient(t, Config{ServerURL: f.URL, PlexTVURL: f.URL, HTTPClient: f.httpClient()})
}

// closedAddr returns a 127.0.0.1 address nothing listens on.
func closedAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	_ = l.Close()
	return addr
}

// op runs one of the four operations with the test credentials and returns
// its error; ops lists them by name for table tests.
type op func(ctx context.Context, c *Client) error

var ops = map[string]op{
	"transient": func(ctx context.Context, c *Client) error {
		_, err := c.TransientToken(ctx, testToken)
		return err
	},
	"source": func(ctx context.Context, c *Client) error {
		_, err := c.Source(ctx, testToken, SourceQuery{Source: "server://a1b2c3d4e5f6"})
		return err
	},
	"user": func(ctx context.Context, c *Client) error {
		_, err := c.User(ctx, testToken)
		return err
	},
	"signin": func(ctx context.Context, c *Client) error {
		_, err := c.SignIn(ctx, Credentials{Login: "alice", Password: testPassword, VerificationCode: "123456"})
		return err
	},
}

// asError checks that err is a *Error of the given kind and returns it.
func asError(t *testing.T, err error, kind error) *Error {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v (%T) is not a *plex.Error", err, err)
	}
	if !errors.Is(err, kind) {
		t.Fatalf("error %q has kind %v, want %v", err, e.Kind, kind)
	}
	return e
}

// Fixtures, shaped like real answers.
const (
	transientJSON = `{"MediaContainer":{"size":0,"token":"transient-8f2a"}}`
	transientXML  = `<?xml version="1.0" encoding="UTF-8"?>
<MediaContainer size="0" token="transient-8f2a"/>`

	resourcesJSON = `{"MediaContainer":{"size":1,"Device":{"name":"Living Room","clientIdentifier":"a1b2c3d4e5f6",
"accessToken":"transient-dev-1","Connection":[
{"protocol":"https","address":"10.0.0.5","port":32400,"uri":"https://10-0-0-5.a1b2.plex.direct:32400","local":true,"relay":false},
{"protocol":"https","address":"203.0.113.9","port":8443,"uri":"https://203-0-113-9.a1b2.plex.direct:8443","local":false,"relay":true}]}}}`
	resourcesXML = `<?xml version="1.0" encoding="UTF-8"?>
<MediaContainer size="1">
  <Device name="Living Room" clientIdentifier="a1b2c3d4e5f6" accessToken="transient-dev-1">
    <Connection protocol="https" address="10.0.0.5" port="32400" uri="https://10-0-0-5.a1b2.plex.direct:32400" local="1" relay="0"/>
    <Connection protocol="https" address="203.0.113.9" port="8443" uri="https://203-0-113-9.a1b2.plex.direct:8443" local="0" relay="1"/>
  </Device>
</MediaContainer>`

	userJSON = `{"id":13692262,"uuid":"8f3d1b2c9a","username":"alice","email":"alice@example.com",
"title":"alice","friendlyName":"Alice A","thumb":"https://plex.tv/users/8f3d1b2c9a/avatar","hasPassword":true,
"twoFactorEnabled":false,"joinedAt":1556281940,"authToken":"account-token-1","locale":null,"home":false,
"subscription":{"active":true,"subscribedAt":"2021-04-12T18:21:12Z","status":"Active","paymentService":"braintree","plan":"lifetime","features":["webhooks"]},
"subscriptions":[],"roles":["plexpass"],"services":[],"pastSubscriptions":[],"trials":[]}`
	userXML = `<?xml version="1.0" encoding="UTF-8"?>
<user id="13692262" uuid="8f3d1b2c9a" username="alice" email="alice@example.com" title="alice" friendlyName="Alice A"
 thumb="https://plex.tv/users/8f3d1b2c9a/avatar" hasPassword="1" twoFactorEnabled="0" joinedAt="1556281940" authToken="account-token-1">
  <subscription active="1" status="Active" plan="lifetime"><features><feature id="webhooks"/></features></subscription>
  <roles><role id="plexpass"/></roles>
</user>`
)

func wantDevice() *Device {
	return &Device{
		Name: "Living Room", ClientIdentifier: "a1b2c3d4e5f6", AccessToken: "transient-dev-1",
		Connections: []Connection{
			{Protocol: "https", Address: "10.0.0.5", Port: 32400, URI: "https://10-0-0-5.a1b2.plex.direct:32400", Local: true},
			{Protocol: "https", Address: "203.0.113.9", Port: 8443, URI: "https://203-0-113-9.a1b2.plex.direct:8443", Relay: true},
		},
	}
}

func wantUser() *User {
	return &User{
		ID: 13692262, UUID: "8f3d1b2c9a", Username: "alice", Email: "alice@example.com", Title: "alice",
		FriendlyName: "Alice A", Thumb: "https://plex.tv/users/8f3d1b2c9a/avatar", JoinedAt: 1556281940,
		Subscription: &Subscription{Active: true, Status: "Active", Plan: "lifetime"},
		AuthToken:    "account-token-1",
	}
}

func plexTVError(code, status int, msg string) string {
	b, _ := json.Marshal(map[string]any{"errors": []map[string]any{{"code": code, "message": msg, "status": status}}})
	return string(b)
}
