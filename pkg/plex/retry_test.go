package plex

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"reflect"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"
)

func TestRetry(t *testing.T) {
	const ms, s = time.Millisecond, time.Second
	ok := map[string]answer{
		"transient": {200, "application/json", transientJSON, nil},
		"source":    {200, "application/json", resourcesJSON, nil},
		"user":      {200, "application/json", userJSON, nil},
	}
	status := func(code int, retryAfter string) answer {
		a := answer{code, "text/html", "<html>busy</html>", nil}
		if retryAfter != "" {
			a.header = http.Header{"Retry-After": {retryAfter}}
		}
		return a
	}
	type test struct {
		name, op     string
		answers      []answer
		policy       RetryPolicy
		deadline     time.Duration // 0: none
		wantRequests int
		wantSleeps   []time.Duration
		wantKind     error // nil: success
	}
	tests := []test{
		{"503 twice then 200", "transient", []answer{status(503, ""), status(503, ""), ok["transient"]}, RetryPolicy{}, 0,
			3, []time.Duration{100 * ms, 200 * ms}, nil},
		{"500 every time", "user", []answer{status(500, "")}, RetryPolicy{}, 0,
			3, []time.Duration{100 * ms, 200 * ms}, ErrUpstream},
		{"502 then 504 then 200", "source", []answer{status(502, ""), status(504, ""), ok["source"]}, RetryPolicy{}, 0,
			3, []time.Duration{100 * ms, 200 * ms}, nil},
		{"429 Retry-After honoured", "user", []answer{status(429, "1"), ok["user"]}, RetryPolicy{}, 0,
			2, []time.Duration{s}, nil},
		{"429 without Retry-After backs off", "source", []answer{status(429, ""), ok["source"]}, RetryPolicy{}, 0,
			2, []time.Duration{100 * ms}, nil},
		{"Retry-After would pass the deadline", "user", []answer{status(429, "30"), ok["user"]}, RetryPolicy{MaxDelay: time.Minute}, 10 * s,
			1, nil, ErrRateLimited},
		{"Retry-After longer than MaxDelay", "transient", []answer{status(429, "5"), ok["transient"]}, RetryPolicy{}, 0,
			1, nil, ErrRateLimited},
		{"Retry-After as a far HTTP date", "transient", []answer{status(429, "Fri, 31 Dec 2100 23:59:59 GMT")}, RetryPolicy{}, 0,
			1, nil, ErrRateLimited},
		{"backoff doubles up to MaxDelay", "user", []answer{status(503, "")}, RetryPolicy{MaxAttempts: 5, BaseDelay: s, MaxDelay: 3 * s}, 0,
			5, []time.Duration{s, 2 * s, 3 * s, 3 * s}, ErrUpstream},
		{"no retry outlives the deadline", "user", []answer{status(503, "")}, RetryPolicy{MaxAttempts: 10, BaseDelay: s, MaxDelay: 4 * s}, 10 * s,
			4, []time.Duration{s, 2 * s, 4 * s}, ErrUpstream},
		{"first wait already too long", "source", []answer{status(503, "")}, RetryPolicy{BaseDelay: time.Hour, MaxDelay: time.Hour}, time.Minute,
			1, nil, ErrUpstream},
		{"MaxAttempts 1 disables retries", "transient", []answer{status(503, ""), ok["transient"]}, RetryPolicy{MaxAttempts: 1}, 0,
			1, nil, ErrUpstream},
	}
	for _, code := range []int{400, 401, 403, 404, 422, 501} {
		for _, op := range []string{"transient", "user"} {
			kind := map[int]error{400: ErrBadRequest, 401: ErrUnauthorized, 403: ErrUnauthorized, 404: ErrNotFound, 422: ErrUnauthorized, 501: ErrUpstream}[code]
			if code == 403 && op == "user" {
				kind = ErrUpstream
			}
			if code == 404 && op == "transient" {
				// Not a retry but the verb fallback (TestTransientVerb): one
				// request with the other verb, without a backoff.
				tests = append(tests, test{"404 on transient switches verb, no backoff", op, []answer{status(code, ""), ok[op]}, RetryPolicy{}, 0, 2, nil, nil})
				continue
			}
			tests = append(tests, test{fmt.Sprintf("%d not retried by %s", code, op), op, []answer{status(code, ""), ok[op]}, RetryPolicy{}, 0, 1, nil, kind})
		}
	}
	for _, tt := range tests {
		// In a bubble the backoff waits take no real time, and the gaps
		// between the requests the fake saw are exactly the waits.
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				f := newPipeFake(t, tt.answers...)
				c := testClient(t, Config{ServerURL: f.URL, PlexTVURL: f.URL, Retry: tt.policy, HTTPClient: f.httpClient()})
				ctx := t.Context()
				if tt.deadline > 0 {
					var cancel context.CancelFunc
					ctx, cancel = context.WithTimeout(ctx, tt.deadline)
					defer cancel()
				}
				err := ops[tt.op](ctx, c)
				if tt.wantKind == nil && err != nil {
					t.Fatalf("error %v, want success", err)
				}
				if tt.wantKind != nil {
					asError(t, err, tt.wantKind)
				}
				if n := len(f.requests()); n != tt.wantRequests {
					t.Errorf("%d requests, want %d", n, tt.wantRequests)
				}
				if got := f.gaps(); !reflect.DeepEqual(got, tt.wantSleeps) {
					t.Errorf("slept %v, want %v", got, tt.wantSleeps)
				}
			})
		})
	}
}

func TestRetryJitter(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newPipeFake(t, answer{503, "", "", nil})
		c := testClient(t, Config{PlexTVURL: f.URL, HTTPClient: f.httpClient(), Retry: RetryPolicy{MaxAttempts: 4, BaseDelay: time.Second, MaxDelay: time.Minute}})
		c.jitter = func(d time.Duration) time.Duration { return d / 4 }
		_ = ops["user"](t.Context(), c)
		if want := []time.Duration{250 * time.Millisecond, 500 * time.Millisecond, time.Second}; !reflect.DeepEqual(f.gaps(), want) {
			t.Errorf("slept %v, want %v: the jittered share of each ceiling", f.gaps(), want)
		}
	})
	for _, d := range []time.Duration{0, 1, time.Millisecond, 2 * time.Second} {
		for range 200 {
			if j := fullJitter(d); j < 0 || j > d {
				t.Fatalf("fullJitter(%v) = %v, outside [0, %v]", d, j, d)
			}
		}
	}
}

// TestRetrySleepCancelled: a context cancelled during a backoff ends the call
// with ErrTimeout at once.
func TestRetrySleepCancelled(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newPipeFake(t, answer{503, "", "", nil})
		c := testClient(t, Config{ServerURL: f.URL, HTTPClient: f.httpClient(), Retry: RetryPolicy{BaseDelay: time.Hour, MaxDelay: time.Hour}})
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		start := time.Now()
		errc := make(chan error, 1)
		go func() { errc <- ops["transient"](ctx, c) }()
		synctest.Wait() // the call sleeps in its backoff
		select {
		case err := <-errc:
			t.Fatalf("the call returned (%v) instead of backing off", err)
		default:
		}
		cancel()
		asError(t, <-errc, ErrTimeout)
		if d := time.Since(start); d != 0 {
			t.Errorf("returned after %v of the backoff, want at once", d)
		}
		if n := len(f.requests()); n != 1 {
			t.Errorf("%d requests, want 1", n)
		}
	})
}

// TestSignInNeverRetriedOnAnswer: whatever plex.tv answers, a sign-in is sent
// once; failed sign-ins count towards an IP block.
func TestSignInNeverRetriedOnAnswer(t *testing.T) {
	for _, code := range []int{400, 401, 403, 404, 422, 429, 500, 502, 503, 504} {
		t.Run(fmt.Sprint(code), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				f := newPipeFake(t, answer{code, "application/json", plexTVError(1001, code, "no"), http.Header{"Retry-After": {"1"}}},
					answer{201, "application/json", userJSON, nil})
				c := fakeClient(t, f)
				start := time.Now()
				if err := ops["signin"](t.Context(), c); err == nil {
					t.Fatal("no error")
				}
				if n := len(f.requests()); n != 1 {
					t.Errorf("%d sign-in requests, want 1", n)
				}
				if d := time.Since(start); d != 0 {
					t.Errorf("slept %v", d)
				}
			})
		})
	}
}

// dialClient counts dials; the first one goes to firstAddr when it is set.
func dialClient(firstAddr string, dials *atomic.Int64) *http.Client {
	var d net.Dialer
	return &http.Client{Transport: &http.Transport{
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			if dials.Add(1) == 1 && firstAddr != "" {
				addr = firstAddr
			}
			return d.DialContext(ctx, network, addr)
		},
	}}
}

func TestConnectionFailureRetries(t *testing.T) {
	tests := []struct {
		name, op, server string // server: "up", "hang-up" or "down"
		firstRefused     bool
		wantDials        int64
		wantRequests     int
		wantKind         error
	}{
		{"sign-in refused once, then sent", "signin", "up", true, 2, 1, nil},
		{"sign-in always refused: one retry", "signin", "down", false, 2, 0, ErrUpstream},
		{"sign-in that reached plex.tv is not retried", "signin", "hang-up", false, 1, 1, ErrUpstream},
		{"user refused once, then sent", "user", "up", true, 2, 1, nil},
		{"user always refused: MaxAttempts", "user", "down", false, 3, 0, ErrUpstream},
		{"user hang-up is retried", "user", "hang-up", false, 3, 3, ErrUpstream},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := answer{201, "application/json", userJSON, nil}
			switch {
			case tt.server == "hang-up":
				a.status = hangUpStatus
			case tt.op == "user":
				a.status = 200
			}
			f := newFake(t, a)
			if tt.server == "down" {
				f.Close()
			}
			var dials atomic.Int64
			first := ""
			if tt.firstRefused {
				first = closedAddr(t)
			}
			// Real sockets, so real time: a short backoff (the schedule is TestRetry's).
			c := testClient(t, Config{PlexTVURL: f.URL, HTTPClient: dialClient(first, &dials), Retry: RetryPolicy{BaseDelay: time.Millisecond}})
			err := ops[tt.op](context.Background(), c)
			if tt.wantKind == nil && err != nil {
				t.Fatalf("error %v, want success", err)
			}
			if tt.wantKind != nil {
				if e := asError(t, err, tt.wantKind); e.Status != 0 {
					t.Errorf("status %d, want 0 (no answer)", e.Status)
				}
			}
			if n := dials.Load(); n != tt.wantDials {
				t.Errorf("%d dials, want %d", n, tt.wantDials)
			}
			if n := len(f.requests()); n != tt.wantRequests {
				t.Errorf("%d requests reached the server, want %d", n, tt.wantRequests)
			}
		})
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		in   string
		want time.Duration
	}{
		{"", 0},
		{"5", 5 * time.Second},
		{" 7 ", 7 * time.Second},
		{"0", 0},
		{"-1", 0},
		{"1.5", 0},
		{"soon", 0},
		{"99999999999999", 0},
		{now.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second},
		{now.Add(-time.Hour).Format(http.TimeFormat), 0},
		{"Sunday, 01-Jun-25 12:00:30 GMT", 30 * time.Second}, // RFC 850, still accepted
	}
	for _, tt := range tests {
		if got := parseRetryAfter(tt.in, now); got != tt.want {
			t.Errorf("parseRetryAfter(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}
