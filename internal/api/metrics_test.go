package api_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/plexauth/plexauth/internal/api"
	"github.com/plexauth/plexauth/internal/api/apitest"
	"github.com/plexauth/plexauth/internal/secret"
	"github.com/plexauth/plexauth/pkg/plex"
)

// plexAfter is a Plex that answers status after delay, on the synctest
// bubble's clock.
type plexAfter struct {
	delay  time.Duration
	status int
}

func (p plexAfter) RoundTrip(req *http.Request) (*http.Response, error) {
	time.Sleep(p.delay)
	return &http.Response{StatusCode: p.status, Header: http.Header{"Content-Type": {"application/json"}},
		Body: io.NopCloser(strings.NewReader(`{"id":1,"uuid":"u","username":"a"}`)), Request: req}, nil
}

// TestRequestMetrics checks the request line's metrics over the statuses:
// the namespace and function given, the status class and error code as
// dimensions, the secret cache's hit or miss, and the time Plex took.
func TestRequestMetrics(t *testing.T) {
	callPlex := func(p plexAfter) api.Op {
		return func(ctx context.Context, r *api.Request) (any, error) {
			c, err := plex.New(plex.Config{PlexTVURL: "http://127.0.0.1:1", ClientIdentifier: "metrics-test",
				HTTPClient: &http.Client{Transport: p}, Retry: plex.RetryPolicy{MaxAttempts: 1}})
			if err != nil {
				return nil, err
			}
			return c.User(ctx, "user-token-0001")
		}
	}
	ok := func(context.Context, *api.Request) (any, error) { return map[string]bool{"ok": true}, nil }
	tests := []struct {
		name    string
		op      api.Op
		secrets *apitest.Secrets
		event   apitest.Event
		status  int
		class   string
		code    string  // "": no ErrorCode
		cache   string  // "hit", "miss", "": not looked up
		latency float64 // milliseconds; < 0: no Plex call
	}{
		{name: "200 without Plex", op: ok, event: post.Authorized(), status: 200, class: "2xx", cache: "hit", latency: -1},
		{name: "200 from Plex", op: callPlex(plexAfter{42 * time.Millisecond, 200}), event: post.Authorized(),
			status: 200, class: "2xx", cache: "hit", latency: 42},
		{name: "502 from Plex", op: callPlex(plexAfter{7 * time.Millisecond, 500}), event: post.Authorized(),
			status: 502, class: "5xx", code: "plex_error", cache: "hit", latency: 7},
		{name: "401 without key", op: ok, event: post, status: 401, class: "4xx", code: "unauthorized", latency: -1},
		{name: "403 forbidden", op: ok, event: post.Authorized(), secrets: apitest.NewSecrets(apitest.ValueWith(apitest.AdminToken, apitest.Tester.On("other"))),
			status: 403, class: "4xx", code: "forbidden", cache: "hit", latency: -1},
		{name: "405", op: ok, event: apitest.Event{Method: "GET", Path: "/test"}.Authorized(), status: 405, class: "4xx", code: "method_not_allowed", latency: -1},
		{name: "503 secret", op: ok, event: post.Authorized(), secrets: apitest.FailingSecrets(secret.ErrUnavailable),
			status: 503, class: "5xx", code: "secret_unavailable", cache: "miss", latency: -1},
		{name: "500 panic", op: func(context.Context, *api.Request) (any, error) { panic("boom") }, event: post.Authorized(),
			status: 500, class: "5xx", code: "internal_error", cache: "hit", latency: -1},
		{name: "504 timeout without an answer", op: func(ctx context.Context, r *api.Request) (any, error) {
			return nil, &plex.Error{Op: "user", Kind: plex.ErrTimeout, Err: errors.New("slow")}
		}, event: post.Authorized(), status: 504, class: "5xx", code: "plex_timeout", cache: "hit", latency: -1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				secrets := tc.secrets
				if secrets == nil {
					secrets = apitest.NewSecrets()
				}
				logger, logs := apitest.NewLogger()
				h := api.NewHandler(api.Route{Path: "/test", Methods: []string{"POST"}, Function: "testfn"}, tc.op,
					api.Shared{Secrets: secrets, Logger: logger, Namespace: "plexauth/test"})
				if r := apitest.Invoke(t, apitest.LambdaContext(t.Context(), "req-1"), h, tc.event.JSON()); r.Status != tc.status {
					t.Fatalf("status %d, want %d: %s", r.Status, tc.status, r.Body)
				}
				line := logs.CheckLog(t, tc.status)
				doc := apitest.CheckMetrics(t, []byte(logs.String()), line, tc.status)
				want := map[string]any{"Function": "testfn", "StatusClass": tc.class}
				if tc.code != "" {
					want["ErrorCode"] = tc.code
				}
				for k, v := range want {
					if line[k] != v {
						t.Errorf("%s = %v, want %v", k, line[k], v)
					}
				}
				if _, has := line["ErrorCode"]; has != (tc.code != "") {
					t.Errorf("ErrorCode present: %v, want %v", has, tc.code != "")
				}
				if doc.Metrics[api.MetricRequests].Namespace != "plexauth/test" {
					t.Errorf("namespace %q, want the configured one", doc.Metrics[api.MetricRequests].Namespace)
				}
				if got := line["secretCache"]; tc.cache == "" && got != nil || tc.cache != "" && got != tc.cache {
					t.Errorf("secretCache %v, want %q", got, tc.cache)
				}
				lat, has := doc.Metrics[api.MetricPlexLatency]
				switch {
				case tc.latency < 0 && has:
					t.Errorf("%s %v without a Plex call", api.MetricPlexLatency, lat.Value)
				case tc.latency >= 0 && lat.Value != tc.latency:
					t.Errorf("%s = %v (present: %v), want %v", api.MetricPlexLatency, lat.Value, has, tc.latency)
				}
			})
		})
	}
}

// TestRequestMetricsDefaults: without a namespace or function name, the
// metrics go to the default namespace under the route's scope.
func TestRequestMetricsDefaults(t *testing.T) {
	logger, logs := apitest.NewLogger()
	h := route(echo, "POST")(api.Shared{Secrets: apitest.NewSecrets(), Logger: logger})
	apitest.Invoke(t, t.Context(), h, post.Authorized().JSON())
	line := logs.CheckLog(t, 200)
	doc := apitest.CheckMetrics(t, []byte(logs.String()), line, 200)
	if ns := doc.Metrics[api.MetricRequests].Namespace; ns != "plexauth" || line["Function"] != "test" {
		t.Errorf("namespace %q, Function %v; want plexauth and test", ns, line["Function"])
	}
}
