package secret

import (
	"context"
	"errors"
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
	TTL time.Duration // how long a fetched value is used without asking again; default 5m
	// Grace is how long past TTL a value is still served while Secrets
	// Manager cannot be reached (each such answer is logged with the value's
	// age); 0 or negative: never, a failed fetch past TTL is an error.
	Grace time.Duration
	// Backoff is the least time between fetch attempts after a fetch failed
	// while a stale value is served, and after a fetch found the secret
	// malformed; default 5s.
	Backoff time.Duration
	// Budget is the most time a Get or Refresh spends on Secrets Manager,
	// however many fetches it joins or starts, and the time a Prefetch has;
	// default 2s. A Get's budget counts from the Get, not from the start of a
	// prefetch it joins: init time is not the invocation's, and a prefetch
	// frozen with the environment after init must not leave the first
	// request no time at all.
	Budget time.Duration
	Logger *slog.Logger // default slog.Default()
	Routes []string     // the route names a caller's "routes" may list (see Parse)
}

const (
	defaultTTL     = 5 * time.Minute
	defaultBackoff = 5 * time.Second
	// defaultBudget is a fifth of the functions' 10 s timeout: Secrets
	// Manager answers in tens of milliseconds, so 2 s leaves room for a slow
	// TLS handshake and one SDK retry, and a hanging Secrets Manager is a
	// prompt 503 that leaves Plex the rest of the invocation.
	defaultBudget = 2 * time.Second
)

// Store caches one secret. Concurrent misses share one fetch, and the warm
// path is an atomic load: no lock, no Secrets Manager call.
//
// Fail closed: a fetch that finds the secret malformed replaces the cached
// value with that failure, so every Get and Refresh answers ErrMalformed
// until a fetch finds it well-formed again (an edit meant to revoke a caller
// must never be ignored). It is fetched again at most once per Backoff, so a
// broken secret costs each container one call per Backoff (5 s by default)
// rather than one per request, and a fix is seen within Backoff. Only an unavailable Secrets
// Manager lets an older value live on, for Grace.
type Store struct {
	api     API
	id      string
	ttl     time.Duration
	grace   time.Duration
	backoff time.Duration
	budget  time.Duration
	log     *slog.Logger
	routes  []string

	cur atomic.Pointer[entry]

	mu       sync.Mutex // guards the fields below and the writes to cur
	inflight *call      // the fetch under way, shared by every caller that needs one
	retryAt  time.Time  // after a failed fetch: no new attempt before this while cur can answer
	lastErr  error      // the failure behind retryAt
}

// entry is the outcome of the last conclusive fetch: a value, or err
// (ErrMalformed) for a secret found malformed.
type entry struct {
	val      Value
	err      error
	fetched  time.Time
	expires  time.Time // end of the TTL (of the Backoff for a malformed secret)
	graceEnd time.Time // last moment the entry may answer at all
}

func (e *entry) fresh(t time.Time) bool  { return e != nil && t.Before(e.expires) }
func (e *entry) usable(t time.Time) bool { return e != nil && t.Before(e.graceEnd) }

// never is a graceEnd for entries only another fetch may replace.
var never = time.Unix(1<<62, 0)

// call is one fetch; done is closed once e or err is set.
type call struct {
	done     chan struct{}
	e        *entry
	err      error
	prefetch bool // started by Prefetch, with its own budget rather than a caller's
}

// NewStore returns a Store for secretID (an ARN or a name). It fetches nothing
// until Get, Refresh or Prefetch.
func NewStore(api API, secretID string, o Options) *Store {
	s := &Store{api: api, id: secretID, ttl: o.TTL, grace: max(o.Grace, 0), backoff: o.Backoff,
		budget: o.Budget, log: o.Logger, routes: slices.Clone(o.Routes)}
	if s.ttl <= 0 {
		s.ttl = defaultTTL
	}
	if s.backoff <= 0 {
		s.backoff = defaultBackoff
	}
	if s.budget <= 0 {
		s.budget = defaultBudget
	}
	if s.log == nil {
		s.log = slog.Default()
	}
	return s
}

// Get returns the secret, fetching it when the cache is empty or past its TTL;
// hit reports that no fetch was waited for. When Secrets Manager cannot be
// reached, a value still within Grace is served instead (and logged with its
// age); otherwise the error wraps ErrUnavailable or ErrMalformed. Get spends
// at most the Budget on fetching: a request that joined a failed Prefetch
// fetches once itself, within what is left of it.
func (s *Store) Get(ctx context.Context) (v Value, hit bool, err error) {
	if e := s.cur.Load(); e.fresh(time.Now()) {
		return e.val, true, e.err
	}
	ctx, cancel := context.WithTimeout(ctx, s.budget)
	defer cancel()
	for retried := false; ; retried = true {
		s.mu.Lock()
		if e, ok := s.cachedLocked(time.Now()); ok {
			s.mu.Unlock()
			return s.serve(ctx, e, !retried)
		}
		if err := ctx.Err(); err != nil { // a caller out of time starts no fetch
			s.mu.Unlock()
			return Value{}, false, unavailable(err)
		}
		c := s.startLocked(fetchContext(ctx))
		s.mu.Unlock()

		if v, err = s.wait(ctx, c); err == nil || errors.Is(err, ErrMalformed) {
			return v, false, err
		}
		if e := s.cur.Load(); e.usable(time.Now()) {
			return s.serve(ctx, e, false)
		}
		// A prefetch is best effort: with provisioned concurrency it can be
		// frozen mid-flight after init and time out on thaw. A caller with
		// budget left fetches once itself.
		if !c.prefetch || retried || ctx.Err() != nil {
			return Value{}, false, err
		}
	}
}

// serve answers from e. A value past its TTL is only served while fetches
// fail: every such answer is logged, on the request's ctx, with its age.
func (s *Store) serve(ctx context.Context, e *entry, hit bool) (Value, bool, error) {
	if e.err != nil {
		return Value{}, hit, e.err
	}
	if now := time.Now(); !e.fresh(now) {
		s.mu.Lock()
		kind := Kind(s.lastErr)
		s.mu.Unlock()
		s.log.LogAttrs(ctx, slog.LevelWarn, "serving a stale secret: Secrets Manager cannot be reached",
			slog.String("secret", s.id), slog.Int64("age_ms", now.Sub(e.fetched).Milliseconds()),
			slog.String("kind", kind), slog.Time("cachedUntil", e.graceEnd))
	}
	return e.val, hit, nil
}

// Refresh is for when Plex rejected stale.PlexToken (the token was rotated). If
// the cache already holds another token it is returned without a fetch;
// otherwise the secret is fetched once, that fetch shared by concurrent callers.
// It never loops: a fetch that brings the same token back returns it. It
// spends at most the Budget, and never answers with an older value than a
// malformed one.
func (s *Store) Refresh(ctx context.Context, stale Value) (Value, error) {
	ctx, cancel := context.WithTimeout(ctx, s.budget)
	defer cancel()
	now := time.Now()
	s.mu.Lock()
	if e, ok := s.cachedLocked(now); ok && (e.err != nil || e.val.PlexToken != stale.PlexToken) {
		s.mu.Unlock()
		v, _, err := s.serve(ctx, e, true)
		return v, err
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
	now := time.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.cachedLocked(now); ok || s.inflight != nil {
		return
	}
	s.startLocked(context.WithTimeout(context.Background(), s.budget)).prefetch = true
}

// cachedLocked returns the entry to answer from without fetching: a fresh
// one (a malformed secret within its Backoff included), or a usable one while
// the backoff after a failed fetch runs.
func (s *Store) cachedLocked(now time.Time) (*entry, bool) {
	e := s.cur.Load()
	if e.fresh(now) || (s.inflight == nil && e.usable(now) && now.Before(s.retryAt)) {
		return e, true
	}
	return nil, false
}

// fetchContext keeps the caller's deadline (its budget) and values but not
// its cancellation: the fetch is shared, and its result is worth caching for
// the others even if the caller that started it gives up.
func fetchContext(ctx context.Context) (context.Context, context.CancelFunc) {
	dl, _ := ctx.Deadline() // always set: Get and Refresh bound ctx by the budget
	return context.WithDeadline(context.WithoutCancel(ctx), dl)
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
	start := time.Now()
	val, version, err := s.fetch(ctx)
	now := time.Now()
	// Log before publishing the result, so that whoever sees it (a test
	// about to end, above all) also sees the log line written.
	s.logFetch(ctx, val, version, err, now.Sub(start), now)

	s.mu.Lock()
	switch {
	case err == nil:
		c.e = &entry{val: val, fetched: now, expires: now.Add(s.ttl), graceEnd: now.Add(s.ttl + s.grace)}
	case errors.Is(err, ErrMalformed):
		// Conclusive too: it replaces the older value, asked again after Backoff.
		c.e = &entry{err: err, fetched: now, expires: now.Add(s.backoff), graceEnd: never}
	}
	if c.e != nil {
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
	if errors.Is(err, ErrMalformed) {
		s.log.LogAttrs(ctx, slog.LevelError, "secret malformed; every request fails until it is fixed",
			append(attrs, slog.String("version", version))...)
		return
	}
	// Only this fetch can change cur, so reading it unlocked is current.
	if prev := s.cur.Load(); prev.usable(now) && prev.err == nil {
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
		return c.e.val, c.e.err
	case <-ctx.Done():
		return Value{}, unavailable(ctx.Err())
	}
}
