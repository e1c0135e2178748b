package secret_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/smithy-go"

	"github.com/plexauth/plexauth/internal/api/apitest"
	"github.com/plexauth/plexauth/internal/secret"
	"github.com/plexauth/plexauth/internal/secret/secrettest"
)

func TestGetCacheHits(t *testing.T) {
	f := newFixture(t, secretJSON(adminToken), secret.Options{})
	misses := 0
	for range 1000 {
		v, hit := f.mustGet(t)
		if v.PlexToken != adminToken {
			t.Fatalf("PlexToken = %q", v.PlexToken)
		}
		if !hit {
			misses++
		}
	}
	if misses != 1 {
		t.Errorf("misses = %d, want 1", misses)
	}
	wantFetches(t, f.api, 1)
	if got := f.sm.Calls(); got != 1 {
		t.Errorf("server calls = %d, want 1", got)
	}
}

func TestGetTTL(t *testing.T) {
	tests := []struct {
		name        string
		ttl         time.Duration
		after       time.Duration
		wantFetches int64
	}{
		{"default TTL, just before", 0, 5*time.Minute - time.Nanosecond, 1},
		{"default TTL, at expiry", 0, 5 * time.Minute, 2},
		{"custom TTL, just before", time.Minute, time.Minute - time.Nanosecond, 1},
		{"custom TTL, after", time.Minute, 2 * time.Minute, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				f := newFixture(t, secretJSON(adminToken), secret.Options{TTL: tt.ttl})
				f.mustGet(t)
				time.Sleep(tt.after)
				_, hit := f.mustGet(t)
				wantFetches(t, f.api, tt.wantFetches)
				if hit != (tt.wantFetches == 1) {
					t.Errorf("hit = %v", hit)
				}
				f.mustGet(t) // fresh again either way
				wantFetches(t, f.api, tt.wantFetches)
			})
		})
	}
}

// runConcurrently starts n goroutines running fn while the server holds the
// first request, releases it once that request arrived, and waits for all.
func runConcurrently(t *testing.T, sm *secrettest.Server, n int, fn func()) {
	t.Helper()
	arrivals, release := sm.Hold()
	var started, done sync.WaitGroup
	for range n {
		started.Add(1)
		done.Go(func() {
			started.Done()
			fn()
		})
	}
	started.Wait()
	<-arrivals
	release()
	done.Wait()
}

func TestGetConcurrentMisses(t *testing.T) {
	f := newFixture(t, secretJSON(adminToken), secret.Options{})
	var mu sync.Mutex
	var errs []error
	runConcurrently(t, f.sm, 100, func() {
		v, _, err := f.store.Get(t.Context())
		if err == nil && v.PlexToken != adminToken {
			err = errors.New("wrong token")
		}
		if err != nil {
			mu.Lock()
			errs = append(errs, err)
			mu.Unlock()
		}
	})
	if len(errs) > 0 {
		t.Fatalf("%d Gets failed, first: %v", len(errs), errs[0])
	}
	wantFetches(t, f.api, 1)
}

func TestRefresh(t *testing.T) {
	tests := []struct {
		name        string
		rotate      bool // put newToken before Refresh
		refreshes   int  // Refresh calls with the stale value, one after another
		wantToken   string
		wantFetches int64 // including the first Get
	}{
		{"rotated: one fetch brings the new token", true, 1, newToken, 2},
		{"cache already newer: no fetch", true, 3, newToken, 2},
		{"not rotated: the same token, no loop", false, 1, adminToken, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, secretJSON(adminToken), secret.Options{})
			stale, _ := f.mustGet(t)
			if tt.rotate {
				f.sm.Put(secretName, secretJSON(newToken))
			}
			var v secret.Value
			for range tt.refreshes {
				var err error
				if v, err = f.store.Refresh(t.Context(), stale); err != nil {
					t.Fatalf("Refresh: %v", err)
				}
			}
			if v.PlexToken != tt.wantToken {
				t.Errorf("PlexToken = %q, want %q", v.PlexToken, tt.wantToken)
			}
			wantFetches(t, f.api, tt.wantFetches)
			if got, hit := f.mustGet(t); !hit || got.PlexToken != tt.wantToken {
				t.Errorf("Get after Refresh = (%q, hit %v), want the refreshed value from the cache", got.PlexToken, hit)
			}
		})
	}
}

func TestRefreshEmptyCache(t *testing.T) {
	f := newFixture(t, secretJSON(adminToken), secret.Options{})
	v, err := f.store.Refresh(t.Context(), secret.Value{})
	if err != nil || v.PlexToken != adminToken {
		t.Fatalf("Refresh = (%q, %v)", v.PlexToken, err)
	}
	wantFetches(t, f.api, 1)
}

func TestRefreshConcurrent(t *testing.T) {
	f := newFixture(t, secretJSON(adminToken), secret.Options{})
	stale, _ := f.mustGet(t)
	f.sm.Put(secretName, secretJSON(newToken))
	var mu sync.Mutex
	var bad int
	runConcurrently(t, f.sm, 50, func() {
		v, err := f.store.Refresh(t.Context(), stale)
		if err != nil || v.PlexToken != newToken {
			mu.Lock()
			bad++
			mu.Unlock()
		}
	})
	if bad > 0 {
		t.Fatalf("%d Refresh calls did not return the new token", bad)
	}
	wantFetches(t, f.api, 2)
}

// apiFunc lets a test answer GetSecretValue in ways no server would.
type apiFunc func(context.Context, *secretsmanager.GetSecretValueInput, ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error)

func (f apiFunc) GetSecretValue(ctx context.Context, in *secretsmanager.GetSecretValueInput, o ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error) {
	return f(ctx, in, o...)
}

func TestGetErrors(t *testing.T) {
	past, cancel := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
	defer cancel()
	tests := []struct {
		name     string
		setup    func(t *testing.T, sm *secrettest.Server) (api secret.API, id string)
		ctx      context.Context
		want     error
		wantKind string
	}{
		{"missing secret", func(t *testing.T, sm *secrettest.Server) (secret.API, string) {
			return sm.Client(t, noRetryWait), "no-such-secret"
		}, nil, secret.ErrUnavailable, "ResourceNotFoundException"},
		{"access denied", func(t *testing.T, sm *secrettest.Server) (secret.API, string) {
			sm.SetFault(secrettest.Fault{Type: "AccessDeniedException"})
			return sm.Client(t, noRetryWait), sm.Put(secretName, secretJSON(adminToken))
		}, nil, secret.ErrUnavailable, "AccessDeniedException"},
		{"service error after retries", func(t *testing.T, sm *secrettest.Server) (secret.API, string) {
			sm.SetFault(secrettest.Fault{Type: "InternalServiceError"})
			return sm.Client(t, noRetryWait), sm.Put(secretName, secretJSON(adminToken))
		}, nil, secret.ErrUnavailable, "InternalServiceError"},
		{"unreachable", func(t *testing.T, sm *secrettest.Server) (secret.API, string) {
			return secrettest.NewClient(t, secrettest.ClosedEndpoint(t), noRetryWait), secretName
		}, nil, secret.ErrUnavailable, "unreachable"},
		{"deadline already passed", func(t *testing.T, sm *secrettest.Server) (secret.API, string) {
			return sm.Client(t, noRetryWait), sm.Put(secretName, secretJSON(adminToken))
		}, past, secret.ErrUnavailable, "timeout"},
		{"malformed json", func(t *testing.T, sm *secrettest.Server) (secret.API, string) {
			return sm.Client(t, noRetryWait), sm.Put(secretName, `{"plexToken":"`+adminToken)
		}, nil, secret.ErrMalformed, "malformed"},
		{"malformed caller hash", func(t *testing.T, sm *secrettest.Server) (secret.API, string) {
			return sm.Client(t, noRetryWait), sm.Put(secretName, `{"plexToken":"t","callers":{"a":"`+aliceKey+`"}}`)
		}, nil, secret.ErrMalformed, "malformed"},
		{"empty string", func(t *testing.T, sm *secrettest.Server) (secret.API, string) {
			return sm.Client(t, noRetryWait), sm.Put(secretName, "")
		}, nil, secret.ErrMalformed, "malformed"},
		{"no value at all", func(*testing.T, *secrettest.Server) (secret.API, string) {
			return apiFunc(func(context.Context, *secretsmanager.GetSecretValueInput, ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error) {
				return &secretsmanager.GetSecretValueOutput{}, nil
			}), secretName
		}, nil, secret.ErrMalformed, "malformed"},
		{"client panics", func(*testing.T, *secrettest.Server) (secret.API, string) {
			return apiFunc(func(context.Context, *secretsmanager.GetSecretValueInput, ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error) {
				panic(adminToken)
			}), secretName
		}, nil, secret.ErrUnavailable, "failed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sm := secrettest.NewServer(t)
			inner, id := tt.setup(t, sm)
			api := counted(inner)
			store := secret.NewStore(api, id, secret.Options{Logger: testLogger(t)})
			ctx := tt.ctx
			if ctx == nil {
				ctx = t.Context()
			}
			malformed := tt.want == secret.ErrMalformed
			for i := range 2 { // no cached value: each Get tries again, unless the secret was malformed
				v, hit, err := store.Get(ctx)
				if !errors.Is(err, tt.want) || hit != (malformed && i > 0) || v.PlexToken != "" {
					t.Fatalf("Get = (%q, %v, %v), want %v", v.PlexToken, hit, err, tt.want)
				}
				if got := secret.Kind(err); got != tt.wantKind {
					t.Errorf("Kind = %q, want %q (error %v)", got, tt.wantKind, err)
				}
				for _, s := range secretStrings {
					if strings.Contains(err.Error(), s) {
						t.Errorf("error %q holds a secret", err)
					}
				}
				switch {
				case tt.ctx == past: // a caller that gave up starts no fetch
					i = -1
				case malformed:
					i = 0
				}
				wantFetches(t, api, int64(i+1))
			}
		})
	}
}

func TestGetValueForms(t *testing.T) {
	tests := []struct {
		name        string
		put         func(sm *secrettest.Server) string
		wantCallers int
	}{
		{"json string", func(sm *secrettest.Server) string { return sm.Put(secretName, secretJSON(adminToken)) }, 2},
		{"plain string", func(sm *secrettest.Server) string { return sm.Put(secretName, adminToken) }, 0},
		{"binary", func(sm *secrettest.Server) string { return sm.PutBinary(secretName, []byte(secretJSON(adminToken))) }, 2},
		{"by name", func(sm *secrettest.Server) string { sm.Put(secretName, adminToken); return secretName }, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sm := secrettest.NewServer(t)
			store := secret.NewStore(sm.Client(t), tt.put(sm), secret.Options{Logger: testLogger(t)})
			v, hit, err := store.Get(t.Context())
			if err != nil || hit {
				t.Fatalf("Get = (hit %v, %v)", hit, err)
			}
			if v.PlexToken != adminToken || len(v.Callers) != tt.wantCallers {
				t.Errorf("Get = %q with %d callers, want %d", v.PlexToken, len(v.Callers), tt.wantCallers)
			}
		})
	}
}

// The store checks callers' routes against Options.Routes: a scoped secret
// that one store reads is malformed for a store that knows no such route.
func TestGetRouteNames(t *testing.T) {
	scoped := apitest.SecretJSONWith(adminToken, apitest.Caller{Name: "alice", Key: aliceKey}.On("signin"))
	tests := []struct {
		name    string
		routes  []string
		wantErr bool
	}{
		{"every route", routes, false},
		{"without signin", []string{"transient-token", "sources"}, true},
		{"none", nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, scoped, secret.Options{Routes: tt.routes})
			v, _, err := f.store.Get(t.Context())
			if tt.wantErr != errors.Is(err, secret.ErrMalformed) {
				t.Fatalf("Get = %v, want malformed %v", err, tt.wantErr)
			}
			if !tt.wantErr {
				if _, err := v.Authorize(aliceKey, "signin", time.Now()); err != nil {
					t.Errorf("Authorize on signin: %v", err)
				}
			}
		})
	}
}

// After the TTL, a failing Secrets Manager leaves the old value in service
// for Grace, asked again at most once per Backoff, and then the error shows.
// (A malformed new version is not a failure to reach it: see
// TestMalformedFailsClosed.)
func TestGetStaleWithinGrace(t *testing.T) {
	// TTL 5m, Grace 15m, Backoff 5s: the value fetched at 0 is stale from 5m
	// and gone at 20m.
	steps := []struct {
		advance     time.Duration
		refresh     bool // Refresh with the cached value instead of Get
		wantErr     bool // the failure, not the stale value
		wantHit     bool
		wantFetches int64
	}{
		{advance: 5*time.Minute + time.Second, wantFetches: 2}, // expired: the fetch fails, the stale value is served
		{advance: time.Second, wantHit: true, wantFetches: 2},  // within the backoff: no call
		{refresh: true, wantErr: true, wantFetches: 2},         // Refresh respects the backoff too
		{advance: 5 * time.Second, wantFetches: 3},             // backoff over: one more try
		{advance: 14 * time.Minute, wantFetches: 4},            // 19m07s: still within grace
		{advance: time.Minute, wantErr: true, wantFetches: 5},  // 20m07s: grace over
		{wantErr: true, wantFetches: 6},                        // nothing usable: no backoff, each Get tries
	}
	failures := []struct {
		name  string
		fail  func(sm *secrettest.Server)
		err   error
		calls int // server calls per failed fetch
	}{
		{"access denied", func(sm *secrettest.Server) { sm.SetFault(secrettest.Fault{Type: "AccessDeniedException"}) }, secret.ErrUnavailable, 1},
		{"service error, retried by the SDK", func(sm *secrettest.Server) { sm.SetFault(secrettest.Fault{}) }, secret.ErrUnavailable, 3},
		{"secret deleted", func(sm *secrettest.Server) { sm.Delete(secretName) }, secret.ErrUnavailable, 1},
		// What TestMoto's unreachable case sees, past the TTL.
		{"unreachable", func(sm *secrettest.Server) { sm.SetFault(secrettest.Fault{Refused: true}) }, secret.ErrUnavailable, 0},
	}
	for _, fl := range failures {
		t.Run(fl.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				f := newFixture(t, secretJSON(adminToken), secret.Options{TTL: 5 * time.Minute, Grace: 15 * time.Minute, Backoff: 5 * time.Second})
				cached, _ := f.mustGet(t)
				fl.fail(f.sm)
				for i, s := range steps {
					time.Sleep(s.advance)
					var v secret.Value
					var hit bool
					var err error
					if s.refresh {
						v, err = f.store.Refresh(t.Context(), cached)
					} else {
						v, hit, err = f.store.Get(t.Context())
					}
					switch {
					case s.wantErr && !errors.Is(err, fl.err):
						t.Fatalf("step %d: err = %v, want %v", i, err, fl.err)
					case !s.wantErr && (err != nil || v.PlexToken != adminToken || hit != s.wantHit):
						t.Fatalf("step %d: got (%q, hit %v, %v), want the stale value, hit %v", i, v.PlexToken, hit, err, s.wantHit)
					}
					wantFetches(t, f.api, s.wantFetches)
				}
				if got, want := f.sm.Calls(), 1+5*fl.calls; got != want {
					t.Errorf("server calls = %d, want %d", got, want)
				}
			})
		})
	}
}

func TestGetRecoversAfterFailure(t *testing.T) {
	f := newFixture(t, secretJSON(adminToken), secret.Options{})
	f.sm.SetFault(secrettest.Fault{Type: "AccessDeniedException", Times: 1})
	if _, _, err := f.store.Get(t.Context()); !errors.Is(err, secret.ErrUnavailable) {
		t.Fatalf("first Get: %v, want ErrUnavailable", err)
	}
	if v, hit := f.mustGet(t); v.PlexToken != adminToken || hit {
		t.Fatalf("second Get = (%q, hit %v)", v.PlexToken, hit)
	}
	wantFetches(t, f.api, 2)
}

func TestPrefetch(t *testing.T) {
	tests := []struct {
		name        string
		prefetches  int
		wantFetches int64
	}{
		{"one", 1, 1},
		{"repeated while in flight", 3, 1},
	}
	for _, tt := range tests {
		// In a bubble, so that synctest.Wait tells when the Get waits.
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				f := newFixture(t, secretJSON(adminToken), secret.Options{})
				arrivals, release := f.sm.Hold()
				for range tt.prefetches {
					f.store.Prefetch() // returns although the server holds the request
				}
				<-arrivals
				got := make(chan error, 1)
				go func() {
					v, hit, err := f.store.Get(t.Context())
					if err == nil && (hit || v.PlexToken != adminToken) {
						err = errors.New("Get did not wait for the prefetch")
					}
					got <- err
				}()
				synctest.Wait() // the Get waits for the held prefetch
				release()
				if err := <-got; err != nil {
					t.Fatal(err)
				}
				wantFetches(t, f.api, tt.wantFetches)
				f.store.Prefetch() // warm: nothing to do
				f.mustGet(t)
				wantFetches(t, f.api, tt.wantFetches)
			})
		})
	}
}

func TestPrefetchFailureIsQuiet(t *testing.T) {
	f := newFixture(t, secretJSON(adminToken), secret.Options{})
	f.sm.SetFault(secrettest.Fault{Type: "AccessDeniedException", Times: 1})
	arrivals, release := f.sm.Hold()
	f.store.Prefetch()
	<-arrivals
	release()
	// A Get joins the failing prefetch and then fetches itself, or starts
	// after it is over and fetches: either way the first Get succeeds and
	// the failure leaves nothing behind but one more fetch.
	v, _, err := f.store.Get(t.Context())
	if err != nil || v.PlexToken != adminToken {
		t.Fatalf("Get = (%q, %v)", v.PlexToken, err)
	}
	wantFetches(t, f.api, 2)
}

// A caller that gives up does not spoil the shared fetch: it completes and
// fills the cache for the next caller.
func TestGetCallerCancels(t *testing.T) {
	f := newFixture(t, secretJSON(adminToken), secret.Options{})
	arrivals, release := f.sm.Hold()
	ctx, cancel := context.WithCancel(t.Context())
	got := make(chan error, 1)
	go func() {
		_, _, err := f.store.Get(ctx)
		got <- err
	}()
	<-arrivals
	cancel()
	if err := <-got; !errors.Is(err, secret.ErrUnavailable) || !errors.Is(err, context.Canceled) {
		t.Fatalf("Get = %v, want ErrUnavailable and context.Canceled", err)
	}
	release()
	if v, _ := f.mustGet(t); v.PlexToken != adminToken {
		t.Fatalf("PlexToken = %q", v.PlexToken)
	}
	wantFetches(t, f.api, 1)
}

// A request that joined a prefetch which then failed (its own timeout, or
// frozen with the environment after init and timed out on thaw) fetches once
// itself rather than answering 503 with time left.
func TestGetAfterJoinedPrefetchFails(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		api := newHeldAPI()
		store := secret.NewStore(api, secretName, secret.Options{Logger: testLogger(t)})
		store.Prefetch()
		got := make(chan error, 1)
		go func() {
			v, _, err := store.Get(t.Context())
			if err == nil && v.PlexToken != adminToken {
				err = errors.New("wrong token")
			}
			got <- err
		}()
		// Both wait: the prefetch for its answer, the Get for the prefetch
		// (only one call so far: the Get joined it rather than fetching).
		synctest.Wait()
		if n := api.calls.Load(); n != 1 {
			t.Fatalf("%d calls while the prefetch is held, want 1", n)
		}
		api.answers <- heldAnswer{err: &smithy.GenericAPIError{Code: "AccessDeniedException"}}
		api.answers <- heldAnswer{value: secretJSON(adminToken)} // the Get's own fetch
		if err := <-got; err != nil {
			t.Fatalf("Get after a failed prefetch: %v", err)
		}
		if n := api.calls.Load(); n != 2 {
			t.Fatalf("%d calls, want 2", n)
		}
	})
}
