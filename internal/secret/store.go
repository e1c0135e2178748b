package secret

import (
	"context"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
)

// API is the one Secrets Manager call a Store makes; *secretsmanager.Client
// implements it.
type API interface {
	GetSecretValue(ctx context.Context, in *secretsmanager.GetSecretValueInput, optFns ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error)
}

// Options tune a Store; zero fields take the defaults.
type Options struct {
	TTL     time.Duration    // how long a fetched value is used without asking again; default 5m
	Grace   time.Duration    // how long past TTL a value is still served while fetches fail; default 15m, negative: none
	Backoff time.Duration    // while a stale value is served, the least time between fetch attempts; default 5s
	Now     func() time.Time // clock for TTL, Grace and Backoff; default time.Now
	Logger  *slog.Logger     // default slog.Default()
	Routes  []string         // the route names a caller's "routes" may list (see Parse)
}

const (
	defaultTTL     = 5 * time.Minute
	defaultGrace   = 15 * time.Minute
	defaultBackoff = 5 * time.Second
	// fetchTimeout bounds a Prefetch, and a fetch whose caller set no deadline.
	fetchTimeout = 5 * time.Second
)

// Store caches one secret. Concurrent misses share one fetch, and the warm
// path is an atomic load: no lock, no Secrets Manager call.
type Store struct {
	api     API
	id      string
	ttl     time.Duration
	grace   time.Duration
	backoff time.Duration
	now     func() time.Time
	log     *slog.Logger
	routes  []string

	cur     atomic.Pointer[entry]
	fetches atomic.Int64

	mu       sync.Mutex // guards the fields below and the writes to cur
	inflight *call      // the fetch under way, shared by every caller that needs one
	retryAt  time.Time  // after a failed fetch: no new attempt before this while a stale value can be served
	lastErr  error      // the failure behind retryAt
}

type entry struct {
	val      Value
	expires  time.Time // end of the TTL
	graceEnd time.Time // last moment the value may be served at all
}

func (e *entry) fresh(t time.Time) bool  { return e != nil && t.Before(e.expires) }
func (e *entry) usable(t time.Time) bool { return e != nil && t.Before(e.graceEnd) }

// call is one fetch; done is closed once e or err is set.
type call struct {
	done     chan struct{}
	e        *entry
	err      error
	prefetch bool // started by Prefetch, with its own timeout rather than a caller's
}

// NewStore returns a Store for secretID (an ARN or a name). It fetches nothing
// until Get, Refresh or Prefetch.
func NewStore(api API, secretID string, o Options) *Store {
	s := &Store{api: api, id: secretID, ttl: o.TTL, grace: o.Grace, backoff: o.Backoff, now: o.Now, log: o.Logger,
		routes: slices.Clone(o.Routes)}
	if s.ttl <= 0 {
		s.ttl = defaultTTL
	}
	switch {
	case s.grace == 0:
		s.grace = defaultGrace
	case s.grace < 0:
		s.grace = 0
	}
	if s.backoff <= 0 {
		s.backoff = defaultBackoff
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.log == nil {
		s.log = slog.Default()
	}
	return s
}

// Get returns the secret, fetching it when the cache is empty or past its TTL;
// hit reports that no fetch was waited for. When a fetch fails, a value still
// within Grace is served instead (the failure is logged); otherwise the error
// wraps ErrUnavailable or ErrMalformed. A failed Prefetch that Get waited for
// is followed by one fetch of Get's own.
func (s *Store) Get(ctx context.Context) (v Value, hit bool, err error) {
	now := s.now()
	if e := s.cur.Load(); e.fresh(now) {
		return e.val, true, nil
	}
	s.mu.Lock()
	if e, ok := s.cachedLocked(now); ok {
		s.mu.Unlock()
		return e.val, true, nil
	}
	if err := ctx.Err(); err != nil { // a caller that gave up starts no fetch
		s.mu.Unlock()
		return Value{}, false, unavailable(err)
	}
	c := s.startLocked(fetchContext(ctx))
	s.mu.Unlock()

	v, err = s.wait(ctx, c)
	if err == nil {
		return v, false, nil
	}
	if e := s.cur.Load(); e.usable(s.now()) {
		return e.val, false, nil
	}
	// A prefetch is best effort: its timeout is not this caller's, and with
	// provisioned concurrency it can be frozen mid-flight after init and
	// time out on thaw. A caller with time left fetches once itself.
	if c.prefetch && ctx.Err() == nil {
		s.mu.Lock()
		if e, ok := s.cachedLocked(s.now()); ok { // another waiter's retry got it
			s.mu.Unlock()
			return e.val, false, nil
		}
		c = s.startLocked(fetchContext(ctx))
		s.mu.Unlock()
		if v, err = s.wait(ctx, c); err == nil {
			return v, false, nil
		}
	}
	return Value{}, false, err
}

// Refresh is for when Plex rejected stale.PlexToken (the token was rotated). If
// the cache already holds another token it is returned without a fetch;
// otherwise the secret is fetched once, that fetch shared by concurrent callers.
// It never loops: a fetch that brings the same token back returns it.
func (s *Store) Refresh(ctx context.Context, stale Value) (Value, error) {
	now := s.now()
	s.mu.Lock()
	if e := s.cur.Load(); e.usable(now) && e.val.PlexToken != stale.PlexToken {
		s.mu.Unlock()
		return e.val, nil
	}
	// Secrets Manager failed moments ago: asking again on every rejected
	// request would only add load to it.
	if s.inflight == nil && now.Before(s.retryAt) {
		err := s.lastErr
		s.mu.Unlock()
		return Value{}, err
	}
	if err := ctx.Err(); err != nil {
		s.mu.Unlock()
		return Value{}, unavailable(err)
	}
	c := s.startLocked(fetchContext(ctx))
	s.mu.Unlock()
	return s.wait(ctx, c)
}

// Prefetch starts fetching the secret in the background unless the cache can
// answer or a fetch is already under way, so the fetch overlaps the rest of a
// cold start. A Get meanwhile waits for that same fetch. It never blocks.
func (s *Store) Prefetch() {
	if s == nil {
		return
	}
	defer func() {
		if recover() != nil { // only a caller-supplied clock could panic here
			s.log.Error("secret prefetch failed to start")
		}
	}()
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.cachedLocked(now); ok || s.inflight != nil {
		return
	}
	s.startLocked(context.WithTimeout(context.Background(), fetchTimeout)).prefetch = true
}

// Fetches returns how many GetSecretValue calls the Store has made.
func (s *Store) Fetches() int64 { return s.fetches.Load() }

// cachedLocked returns the entry to serve without fetching: a fresh one, or a
// stale one within Grace while the backoff after a failed fetch runs.
func (s *Store) cachedLocked(now time.Time) (*entry, bool) {
	e := s.cur.Load()
	if e.fresh(now) || (s.inflight == nil && e.usable(now) && now.Before(s.retryAt)) {
		return e, true
	}
	return nil, false
}

// fetchContext keeps the caller's deadline and values but not its
// cancellation: the fetch is shared, and its result is worth caching for the
// others even if the caller that started it gives up.
func fetchContext(ctx context.Context) (context.Context, context.CancelFunc) {
	base := context.WithoutCancel(ctx)
	if dl, ok := ctx.Deadline(); ok {
		return context.WithDeadline(base, dl)
	}
	return context.WithTimeout(base, fetchTimeout)
}

// startLocked joins the fetch under way or starts one.
func (s *Store) startLocked(ctx context.Context, cancel context.CancelFunc) *call {
	if s.inflight != nil {
		cancel()
		return s.inflight
	}
	c := &call{done: make(chan struct{})}
	s.inflight = c
	go s.run(ctx, cancel, c)
	return c
}

func (s *Store) run(ctx context.Context, cancel context.CancelFunc, c *call) {
	defer cancel()
	start := s.now()
	val, version, err := s.fetch(ctx)
	now := s.now()
	// Log before publishing the result, so that whoever sees it (a test
	// about to end, above all) also sees the log line written.
	s.logFetch(ctx, val, version, err, now.Sub(start), now)

	s.mu.Lock()
	if err == nil {
		c.e = &entry{val: val, expires: now.Add(s.ttl), graceEnd: now.Add(s.ttl + s.grace)}
		s.cur.Store(c.e)
		s.retryAt, s.lastErr = time.Time{}, nil
	} else {
		c.err = err
		s.retryAt, s.lastErr = now.Add(s.backoff), err
	}
	s.inflight = nil
	s.mu.Unlock()
	close(c.done)
}

// logFetch logs the outcome of a fetch: never the value, only its shape.
func (s *Store) logFetch(ctx context.Context, val Value, version string, err error, took time.Duration, now time.Time) {
	if err == nil {
		s.log.LogAttrs(ctx, slog.LevelDebug, "secret fetched",
			slog.String("secret", s.id), slog.String("version", version),
			slog.Int("callers", len(val.Callers)), slog.Duration("duration", took))
		return
	}
	attrs := []slog.Attr{slog.String("secret", s.id), slog.String("kind", Kind(err)), slog.String("error", err.Error())}
	// Only this fetch can change cur, so reading it unlocked is current.
	if prev := s.cur.Load(); prev.usable(now) {
		s.log.LogAttrs(ctx, slog.LevelWarn, "secret fetch failed; serving the cached value",
			append(attrs, slog.Time("cachedUntil", prev.graceEnd))...)
		return
	}
	s.log.LogAttrs(ctx, slog.LevelError, "secret fetch failed; no usable cached value", attrs...)
}

func (s *Store) wait(ctx context.Context, c *call) (Value, error) {
	select {
	case <-c.done:
		if c.err != nil {
			return Value{}, c.err
		}
		return c.e.val, nil
	case <-ctx.Done():
		return Value{}, unavailable(ctx.Err())
	}
}
