package plex

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"time"
)

// Defaults New applies to a Config's empty fields.
const (
	DefaultPlexTVURL = "https://plex.tv"
	DefaultProduct   = "plexauth"
	DefaultVersion   = "1.0.0"
)

// Config describes the one Client a process builds at start.
type Config struct {
	ServerURL        string // Plex Media Server base URL; needed by TransientToken and Source
	PlexTVURL        string // default DefaultPlexTVURL
	ClientIdentifier string // required; keep it stable, a new one registers a new device

	// X-Plex-* headers, each checked by ValidHeaderValue. Product and Version
	// are always sent and default to DefaultProduct and DefaultVersion; the
	// others are sent only when set.
	Product, Version, Platform, PlatformVersion, Device, DeviceName string

	// HTTPClient defaults to a client with a keep-alive Transport and a 30s
	// Timeout (a backstop for contexts without a deadline). Whichever client
	// is used, redirects are not followed unless it sets CheckRedirect: Go
	// would forward X-Plex-Token to the redirect's host.
	HTTPClient *http.Client

	Retry        RetryPolicy
	MaxBodyBytes int64 // response body limit, default 256 KiB
}

// RetryPolicy governs retries of TransientToken, Source and User after a 429,
// a 500/502/503/504 or a connection failure. SignIn is retried at most once,
// and only when the request never left this machine.
type RetryPolicy struct {
	MaxAttempts int           // total attempts, default 3; 1 disables retries
	BaseDelay   time.Duration // first backoff ceiling, default 100ms; doubles per attempt
	MaxDelay    time.Duration // caps every wait, default 2s; a longer Retry-After ends the retries
}

// Host names a host Warm connects to.
type Host int

const (
	ServerHost Host = iota // the Plex Media Server (Config.ServerURL)
	PlexTVHost             // plex.tv (Config.PlexTVURL)
)

// Client calls Plex. It is safe for concurrent use; build it once and share it.
type Client struct {
	hc      *http.Client
	pre     *predialer  // Warm's connections; nil on a caller's HTTPClient
	header  http.Header // what every request carries, built once
	maxBody int64
	retry   RetryPolicy

	server, plexTV                     *url.URL // base URLs, for Warm; server is nil when not configured
	transient, resources, user, signIn *url.URL // endpoints; copied per request, never mutated
	pins                               *url.URL
	authApp                            string   // where a user approves a PIN
	ping, devices, identity            *url.URL // devices is plex.tv's /api/v2/resources; identity is nil without a server

	// warming holds, per Host, the Warm under way: a call to that host that
	// starts meanwhile waits for it and reuses its connection instead of
	// dialing a second one. nil when no Warm is in flight. A function warms
	// the one host it calls, so two hosts on one origin (a simulator serving
	// both) need no shared entry.
	warming [2]atomic.Pointer[warmCall]

	// transientVerb indexes transientVerbs: the verb TransientToken sends
	// first, switched once a server has shown it takes only the other.
	transientVerb atomic.Uint32

	// jitter picks each backoff wait within its ceiling: fullJitter. It is
	// the one test seam left (time itself is testing/synctest's): the retry
	// tests assert an exact schedule, and math/rand/v2's global source cannot
	// be seeded.
	jitter func(ceiling time.Duration) time.Duration
}

// warmCall is one Warm in flight; done is closed when it has returned, its
// connection (if it got one) back in the pool.
type warmCall struct{ done chan struct{} }

// New checks cfg and builds a Client.
func New(cfg Config) (*Client, error) {
	if cfg.ClientIdentifier == "" {
		return nil, errors.New("plex: ClientIdentifier is required")
	}
	if cfg.PlexTVURL == "" {
		cfg.PlexTVURL = DefaultPlexTVURL
	}
	if cfg.Product == "" {
		cfg.Product = DefaultProduct
	}
	if cfg.Version == "" {
		cfg.Version = DefaultVersion
	}
	header := http.Header{"Accept": {"application/json"}}
	for _, h := range []struct{ name, value string }{
		{"X-Plex-Client-Identifier", cfg.ClientIdentifier},
		{"X-Plex-Product", cfg.Product},
		{"X-Plex-Version", cfg.Version},
		{"X-Plex-Platform", cfg.Platform},
		{"X-Plex-Platform-Version", cfg.PlatformVersion},
		{"X-Plex-Device", cfg.Device},
		{"X-Plex-Device-Name", cfg.DeviceName},
	} {
		if h.value == "" {
			continue
		}
		if !ValidHeaderValue(h.value) {
			return nil, fmt.Errorf("plex: %s holds a character not allowed in a header", h.name)
		}
		header[h.name] = []string{h.value}
	}

	c := &Client{
		header:  header,
		maxBody: cfg.MaxBodyBytes,
		retry:   cfg.Retry,
		jitter:  fullJitter,
	}
	if c.maxBody <= 0 {
		c.maxBody = 256 << 10
	}
	if c.retry.MaxAttempts <= 0 {
		c.retry.MaxAttempts = 3
	}
	if c.retry.BaseDelay <= 0 {
		c.retry.BaseDelay = 100 * time.Millisecond
	}
	if c.retry.MaxDelay <= 0 {
		c.retry.MaxDelay = 2 * time.Second
	}
	c.retry.MaxDelay = max(c.retry.MaxDelay, c.retry.BaseDelay)

	if cfg.HTTPClient != nil {
		hc := *cfg.HTTPClient // a copy: the caller's client stays as it was
		c.hc = &hc
	} else {
		// Timeout is a backstop for contexts without a deadline.
		c.hc = &http.Client{Transport: http.DefaultTransport, Timeout: 30 * time.Second}
		// A process may have wrapped DefaultTransport (tracing does): then it
		// is used as it is.
		if t, ok := http.DefaultTransport.(*http.Transport); ok {
			t = t.Clone()
			t.MaxIdleConnsPerHost = 16 // the default 2 would close connections under concurrent calls
			c.pre = installPredialer(t)
			c.hc.Transport = t
		}
	}
	if c.hc.CheckRedirect == nil {
		c.hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	}

	var err error
	if c.plexTV, err = ParseBaseURL(cfg.PlexTVURL); err != nil {
		return nil, fmt.Errorf("plex: PlexTVURL %w", err)
	}
	c.user = endpoint(c.plexTV, "/api/v2/user", "")
	c.signIn = endpoint(c.plexTV, "/api/v2/users/signin", "")
	c.pins = endpoint(c.plexTV, "/api/v2/pins", "")
	c.authApp = DefaultAuthAppURL
	if c.plexTV.Host != "plex.tv" {
		c.authApp = endpoint(c.plexTV, "/auth", "").String()
	}
	c.ping = endpoint(c.plexTV, "/api/v2/ping", "")
	c.devices = endpoint(c.plexTV, "/api/v2/resources", resourcesQuery)
	if cfg.ServerURL != "" {
		if c.server, err = ParseBaseURL(cfg.ServerURL); err != nil {
			return nil, fmt.Errorf("plex: ServerURL %w", err)
		}
		c.transient = endpoint(c.server, "/security/token", "type=delegation&scope=all")
		c.resources = endpoint(c.server, "/security/resources", "")
		c.identity = endpoint(c.server, "/identity", "")
	}
	return c, nil
}

// ParseBaseURL parses an absolute http(s) base URL with a host. Credentials,
// a query or a fragment are refused: they would end up in every request (and
// in error strings). The error never quotes raw; its text is a predicate
// meant to follow the setting's name ("PlexTVURL must be ..."). Whether plain
// http is acceptable is the deployment's call, made where settings are checked
// (internal/config), not here: tests and tools use loopback http.
func ParseBaseURL(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Hostname() == "" || u.Opaque != "" {
		return nil, errors.New("must be an absolute http or https URL with a host")
	}
	if u.User != nil || u.RawQuery != "" || u.ForceQuery || u.Fragment != "" {
		return nil, errors.New("must not hold credentials, a query or a fragment")
	}
	return u, nil
}

func endpoint(base *url.URL, path, query string) *url.URL {
	u := *base
	u.Path = strings.TrimSuffix(base.Path, "/") + path
	u.RawPath = "" // re-derived from Path when needed
	u.RawQuery = query
	return &u
}

// ValidHeaderValue reports whether s can travel as an X-Plex-* header value:
// no control characters. A tab is refused too, although HTTP allows it inside
// a value: in these identifiers it can only be a paste mistake, and at either
// end a server strips it, so Plex would see another value than configured.
func ValidHeaderValue(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == 0x7f {
			return false
		}
	}
	return true
}

// Warm opens a connection to h, so that the first real call does not pay for
// DNS, TCP and TLS. On the client New builds itself it only connects and
// handshakes, sending no request: the first call to h then takes that
// connection (if it comes within 30s; later it dials anew). With a
// Config.HTTPClient, or a proxy, Warm sends a HEAD / instead and leaves the
// connection in the pool; any answer will do. Only a failure to reach h is
// returned.
func (c *Client) Warm(ctx context.Context, h Host) error {
	const op = "warm"
	var u *url.URL
	switch h {
	case ServerHost:
		if u = c.server; u == nil {
			return notConfigured(op)
		}
	case PlexTVHost:
		u = c.plexTV
	default:
		return invalid(op, "unknown host")
	}
	// Calls to h that start while this Warm is in flight wait for it, so
	// they reuse its connection rather than dial another.
	slot := &c.warming[h]
	if w := (&warmCall{done: make(chan struct{})}); slot.CompareAndSwap(nil, w) {
		defer func() {
			slot.Store(nil)
			close(w.done)
		}()
	}
	if c.pre != nil {
		if done, err := c.pre.warm(ctx, u); done {
			if err != nil {
				return transportError(ctx, op, err)
			}
			return nil
		}
	}
	resp, err := c.hc.Do(c.newRequest(ctx, &call{op: op, method: http.MethodHead, url: u}))
	if err != nil {
		return transportError(ctx, op, err)
	}
	closeBody(resp.Body)
	return nil
}

// awaitWarm waits, at most until ctx ends, for a Warm of h in flight. Once
// no Warm is under way (the steady state) it costs one atomic load.
func (c *Client) awaitWarm(ctx context.Context, h Host) {
	w := c.warming[h].Load()
	if w == nil {
		return
	}
	select {
	case <-w.done:
	case <-ctx.Done(): // the request then fails on ctx as it would have anyway
	}
}

// fullJitter picks a wait uniformly in [0, d]: clients that failed together
// do not retry together.
func fullJitter(d time.Duration) time.Duration { return rand.N(d + 1) }

func sleepContext(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
