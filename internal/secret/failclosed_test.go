package secret_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/plexauth/plexauth/internal/api/apitest"
	"github.com/plexauth/plexauth/internal/secret"
	"github.com/plexauth/plexauth/internal/secret/secrettest"
)

// badHash is an edit that breaks the secret: alice's entry holds her key
// instead of its hash.
var badHash = `{"plexToken":"` + newToken + `","callers":{"alice":"` + aliceKey + `"}}`

// A fetch that finds the secret malformed is never answered with an older
// value: every Get and Refresh fails with ErrMalformed until a fetch finds it
// well-formed, asked again at most once per Backoff, warm or cold, with or
// without a grace.
func TestMalformedFailsClosed(t *testing.T) {
	const backoff = 5 * time.Second
	type step struct {
		name    string
		advance time.Duration
		do      func(sm *secrettest.Server)
		refresh bool   // Refresh with the first value instead of Get
		want    string // the token; "" for ErrMalformed
		hit     bool
		fetched bool // this step made a fetch
	}
	// Each starts with the malformed version current and the TTL over.
	steps := []step{
		{name: "fetch finds it malformed", fetched: true},
		{name: "within the backoff: no fetch", advance: time.Second, hit: true},
		{name: "again", advance: time.Second, hit: true},
		{name: "Refresh too", refresh: true},
		{name: "Secrets Manager down after the backoff", advance: backoff, do: func(sm *secrettest.Server) {
			sm.SetFault(secrettest.Fault{Type: "AccessDeniedException"})
		}, fetched: true},
		{name: "within the failure's backoff", advance: time.Second, hit: true},
		{name: "back, still malformed", advance: backoff, do: (*secrettest.Server).ClearFault, fetched: true},
		{name: "fixed, within the backoff", do: func(sm *secrettest.Server) { sm.Put(secretName, secretJSON(newToken)) }, hit: true},
		{name: "fixed, after the backoff", advance: backoff, want: newToken, fetched: true},
		{name: "fresh again", advance: time.Minute, want: newToken, hit: true},
	}
	tests := []struct {
		name  string
		warm  bool // a good value was cached before the malformed edit
		grace time.Duration
	}{
		{"warm", true, 0},
		{"warm, within the grace", true, 15 * time.Minute},
		{"cold", false, 15 * time.Minute},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				first := badHash
				if tt.warm {
					first = secretJSON(adminToken)
				}
				f := newFixture(t, first, secret.Options{TTL: 5 * time.Minute, Grace: tt.grace, Backoff: backoff})
				var fetches int64
				if tt.warm {
					if v, _ := f.mustGet(t); v.PlexToken != adminToken {
						t.Fatalf("first Get = %q", v.PlexToken)
					}
					fetches++
					f.sm.Put(secretName, badHash)
					time.Sleep(5 * time.Minute)
				}
				for _, s := range steps {
					time.Sleep(s.advance)
					if s.do != nil {
						s.do(f.sm)
					}
					var v secret.Value
					var hit bool
					var err error
					if s.refresh {
						v, err = f.store.Refresh(t.Context(), apitest.Value(adminToken))
						hit = s.hit
					} else {
						v, hit, err = f.store.Get(t.Context())
					}
					switch {
					case s.want == "" && (!errors.Is(err, secret.ErrMalformed) || v.PlexToken != ""):
						t.Fatalf("%s: got (%q, %v), want ErrMalformed", s.name, v.PlexToken, err)
					case s.want != "" && (err != nil || v.PlexToken != s.want):
						t.Fatalf("%s: got (%q, %v), want %q", s.name, v.PlexToken, err, s.want)
					case hit != s.hit:
						t.Errorf("%s: hit = %v, want %v", s.name, hit, s.hit)
					}
					if s.fetched {
						fetches++
					}
					wantFetches(t, f.api, fetches)
				}
			})
		})
	}
}

// A request that joins a prefetch finding the secret malformed takes that
// answer: it is conclusive, not a reason to fetch again.
func TestPrefetchMalformed(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		api := newHeldAPI()
		store := secret.NewStore(api, secretName, secret.Options{Logger: testLogger(t)})
		store.Prefetch()
		got := make(chan error, 1)
		go func() {
			_, _, err := store.Get(t.Context())
			got <- err
		}()
		synctest.Wait() // the Get waits for the held prefetch
		if n := api.calls.Load(); n != 1 {
			t.Fatalf("%d calls while the prefetch is held, want 1", n)
		}
		api.answers <- heldAnswer{value: badHash}
		if err := <-got; !errors.Is(err, secret.ErrMalformed) {
			t.Fatalf("Get = %v, want ErrMalformed", err)
		}
		if n := api.calls.Load(); n != 1 {
			t.Fatalf("%d calls, want 1", n)
		}
	})
}

// While Secrets Manager fails, a value past its TTL is served for Grace
// only (0: not at all), and every request so served is logged, on its own
// context, with the value's age.
func TestGrace(t *testing.T) {
	const ttl, backoff = 5 * time.Minute, 5 * time.Second
	type step struct {
		advance time.Duration // since the previous step
		stale   bool          // the cached value is served (else ErrUnavailable)
	}
	tests := []struct {
		name  string
		grace time.Duration
		steps []step
	}{
		{"no grace", 0, []step{{advance: ttl}, {advance: time.Second}, {advance: backoff}}},
		{"negative is none", -time.Minute, []step{{advance: ttl}}},
		{"one minute", time.Minute, []step{
			{advance: ttl, stale: true},                                   // age 5m: the fetch fails, the value is served
			{advance: time.Second, stale: true},                           // within the backoff: served without a fetch, logged too
			{advance: backoff, stale: true},                               // 5m06s: fetched again, failed again
			{advance: time.Minute - backoff - 2*time.Second, stale: true}, // 5m59s: still within the grace
			{advance: time.Second},                                        // 6m: the grace is over
			{advance: time.Hour},                                          // and stays over
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				// The functions' logger: its requestId shows which request's
				// context a line was logged on.
				logger, logs := apitest.NewLogger()
				f := newFixture(t, secretJSON(adminToken), secret.Options{TTL: ttl, Grace: tt.grace, Backoff: backoff, Logger: logger})
				f.mustGet(t)
				f.sm.SetFault(secrettest.Fault{Type: "AccessDeniedException"})
				var age time.Duration
				var wantAges []float64
				for i, s := range tt.steps {
					time.Sleep(s.advance)
					age += s.advance
					ctx := apitest.LambdaContext(t.Context(), "req-"+string(rune('a'+i)))
					v, _, err := f.store.Get(ctx)
					switch {
					case s.stale && (err != nil || v.PlexToken != adminToken):
						t.Fatalf("step %d (age %v): got (%q, %v), want the stale value", i, age, v.PlexToken, err)
					case !s.stale && !errors.Is(err, secret.ErrUnavailable):
						t.Fatalf("step %d (age %v): got (%q, %v), want ErrUnavailable", i, age, v.PlexToken, err)
					}
					if s.stale {
						wantAges = append(wantAges, float64(age.Milliseconds()))
					}
				}
				var gotAges []float64
				for i, l := range logs.Lines(t) {
					if l["message"] != "serving a stale secret: Secrets Manager cannot be reached" {
						continue
					}
					if l["level"] != "WARN" || l["kind"] != "AccessDeniedException" {
						t.Errorf("line %d: %v, want WARN with the failure's kind", i, l)
					}
					if want := "req-" + string(rune('a'+len(gotAges))); l["requestId"] != want {
						t.Errorf("line %d: requestId = %v, want %s (logged on the request's context)", i, l["requestId"], want)
					}
					age, _ := l["age_ms"].(float64)
					gotAges = append(gotAges, age)
				}
				if !equalFloats(gotAges, wantAges) {
					t.Errorf("stale answers logged with ages %v ms, want %v", gotAges, wantAges)
				}
			})
		})
	}
}

func equalFloats(a, b []float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// hangingAPI is a Secrets Manager that never answers: each call waits for
// its context to end. It records each call's deadline.
type hangingAPI struct {
	mu        sync.Mutex
	deadlines []time.Time // zero: none
}

func (h *hangingAPI) GetSecretValue(ctx context.Context, _ *secretsmanager.GetSecretValueInput, _ ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error) {
	dl, _ := ctx.Deadline()
	h.mu.Lock()
	h.deadlines = append(h.deadlines, dl)
	h.mu.Unlock()
	<-ctx.Done()
	return nil, ctx.Err()
}

// Fetching has its own budget, whatever the caller's deadline: a hanging
// Secrets Manager fails a Get or Refresh after the budget, and a request
// that joined a failed prefetch gets only what is left of its budget for its
// own fetch. The clock is synctest's, so the times are exact.
func TestFetchBudget(t *testing.T) {
	const lambdaLeft = 9500 * time.Millisecond // a 10 s invocation less the handler's margin
	tests := []struct {
		name     string
		budget   time.Duration // Options.Budget
		caller   time.Duration // the caller's deadline from the start; 0: none
		prefetch time.Duration // Prefetch this long before the request; 0: none
		refresh  bool
		want     []time.Duration // each fetch's deadline, from the request's start
		took     time.Duration   // how long the request waited
	}{
		{name: "default budget, no caller deadline", want: []time.Duration{2 * time.Second}, took: 2 * time.Second},
		{name: "default budget, Lambda deadline", caller: lambdaLeft, want: []time.Duration{2 * time.Second}, took: 2 * time.Second},
		{name: "caller deadline shorter", caller: time.Second, want: []time.Duration{time.Second}, took: time.Second},
		{name: "custom budget", budget: 300 * time.Millisecond, caller: lambdaLeft, want: []time.Duration{300 * time.Millisecond}, took: 300 * time.Millisecond},
		{name: "Refresh", refresh: true, caller: lambdaLeft, want: []time.Duration{2 * time.Second}, took: 2 * time.Second},
		// The prefetch started 500ms before the request and hangs until its
		// own budget ends, 1.5s into the request; the request's fetch gets
		// the 500ms left of the request's budget.
		{name: "after a hanging prefetch", caller: lambdaLeft, prefetch: 500 * time.Millisecond,
			want: []time.Duration{1500 * time.Millisecond, 2 * time.Second}, took: 2 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				api := &hangingAPI{}
				store := secret.NewStore(api, secretName, secret.Options{Budget: tt.budget, Logger: testLogger(t)})
				if tt.prefetch > 0 {
					store.Prefetch()
					time.Sleep(tt.prefetch)
				}
				start := time.Now()
				ctx := t.Context()
				if tt.caller > 0 {
					var cancel context.CancelFunc
					ctx, cancel = context.WithTimeout(ctx, tt.caller)
					defer cancel()
				}
				var err error
				if tt.refresh {
					_, err = store.Refresh(ctx, apitest.Value(adminToken))
				} else {
					_, _, err = store.Get(ctx)
				}
				if !errors.Is(err, secret.ErrUnavailable) || secret.Kind(err) != "timeout" {
					t.Errorf("err = %v (kind %q), want ErrUnavailable, timeout", err, secret.Kind(err))
				}
				if took := time.Since(start); took != tt.took {
					t.Errorf("the request waited %v, want %v", took, tt.took)
				}
				synctest.Wait() // the fetches are over
				api.mu.Lock()
				defer api.mu.Unlock()
				var got []time.Duration
				for _, dl := range api.deadlines {
					if dl.IsZero() {
						t.Fatal("a fetch had no deadline")
					}
					got = append(got, dl.Sub(start))
				}
				if len(got) != len(tt.want) {
					t.Fatalf("fetch deadlines %v after the request's start, want %v", got, tt.want)
				}
				for i := range got {
					if got[i] != tt.want[i] {
						t.Errorf("fetch deadlines %v after the request's start, want %v", got, tt.want)
						break
					}
				}
			})
		})
	}
}
