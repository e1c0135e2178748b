package plex_test

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/plexauth/plexauth/pkg/plex"
	"github.com/plexauth/plexauth/pkg/plex/plextest"
)

// TestWithCalls checks that the status Plex last answered is recorded,
// success and failure alike, and after a retry the answer that ended it;
// and that every operation sent is counted once, retried or not.
func TestWithCalls(t *testing.T) {
	srv := plextest.NewServer()
	defer srv.Close()
	c, err := plex.New(plex.Config{
		ServerURL: srv.URL, PlexTVURL: srv.URL, ClientIdentifier: "status-test",
		Retry: plex.RetryPolicy{MaxAttempts: 2, BaseDelay: 1, MaxDelay: 1},
	})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		fault *plextest.Fault
		call  func(ctx context.Context) error
		want  int
		calls int // 0: rejected before anything was sent
	}{
		{name: "transient token", want: 200, calls: 1, call: func(ctx context.Context) error {
			_, err := c.TransientToken(ctx, plextest.AdminToken)
			return err
		}},
		{name: "sign in", want: 201, calls: 1, call: func(ctx context.Context) error {
			_, err := c.SignIn(ctx, plex.Credentials{Login: plextest.UserLogin, Password: plextest.UserPassword})
			return err
		}},
		{name: "bad token", want: 401, calls: 1, call: func(ctx context.Context) error {
			_, err := c.User(ctx, "not-a-token-0001")
			return err
		}},
		{name: "retried after a 503", fault: &plextest.Fault{Status: 503, Times: 1}, want: 200, calls: 1, call: func(ctx context.Context) error {
			_, err := c.User(ctx, plextest.UserToken)
			return err
		}},
		{name: "no answer", want: 0, call: func(ctx context.Context) error {
			_, err := c.Source(ctx, plextest.AdminToken, plex.SourceQuery{Source: "bad source"})
			return err
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv.Reset()
			if tc.fault != nil {
				srv.SetFault(plextest.RouteUser, *tc.fault)
			}
			var got plex.Calls
			_ = tc.call(plex.WithCalls(context.Background(), &got))
			if got.Status != tc.want || got.N != tc.calls {
				t.Errorf("recorded status %d and %d calls, want %d and %d", got.Status, got.N, tc.want, tc.calls)
			}
			if tc.fault != nil && srv.Count(plextest.RouteUser) != 2 {
				t.Errorf("Plex got %d requests, want the 503 and its retry", srv.Count(plextest.RouteUser))
			}
		})
	}
}

// slowTransport answers a user after delay per request (on the synctest
// bubble's clock), the first time a 429 with Retry-After: 1 when failFirst.
type slowTransport struct {
	delay     time.Duration
	failFirst bool
	n         int
}

func (s *slowTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	time.Sleep(s.delay)
	s.n++
	status, h := 200, http.Header{"Content-Type": {"application/json"}}
	if s.failFirst && s.n == 1 {
		status, h["Retry-After"] = 429, []string{"1"}
	}
	return &http.Response{StatusCode: status, Header: h,
		Body: io.NopCloser(strings.NewReader(`{"id":1,"uuid":"u","username":"a"}`)), Request: req}, nil
}

// TestWithCallsElapsed checks that the time spent in Plex calls adds up
// over calls, and covers a retry and the backoff before it.
func TestWithCallsElapsed(t *testing.T) {
	tests := []struct {
		name      string
		calls     int
		failFirst bool
		want      time.Duration
	}{
		{name: "one call", calls: 1, want: 30 * time.Millisecond},
		{name: "two calls add up", calls: 2, want: 60 * time.Millisecond},
		{name: "a retry and its wait", calls: 1, failFirst: true, want: 30*time.Millisecond + time.Second + 30*time.Millisecond},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				tr := &slowTransport{delay: 30 * time.Millisecond, failFirst: tc.failFirst}
				c, err := plex.New(plex.Config{
					PlexTVURL: "http://127.0.0.1:1", ClientIdentifier: "calls-test", HTTPClient: &http.Client{Transport: tr},
					Retry: plex.RetryPolicy{MaxAttempts: 2}, // the wait is Retry-After's, not a jittered backoff
				})
				if err != nil {
					t.Fatal(err)
				}
				var got plex.Calls
				ctx := plex.WithCalls(t.Context(), &got)
				for range tc.calls {
					if _, err := c.User(ctx, plextest.UserToken); err != nil {
						t.Fatal(err)
					}
				}
				if got.N != tc.calls || got.Elapsed != tc.want {
					t.Errorf("recorded %d calls in %v, want %d in %v", got.N, got.Elapsed, tc.calls, tc.want)
				}
			})
		})
	}
}
