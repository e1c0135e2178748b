package api_test

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/plexauth/plexauth/internal/api"
	"github.com/plexauth/plexauth/internal/api/apitest"
	"github.com/plexauth/plexauth/internal/endpoint"
	"github.com/plexauth/plexauth/internal/secret"
	"github.com/plexauth/plexauth/pkg/plex"
)

// echo answers with the fields a route might read, so tests see what the
// handler decoded.
func echo(ctx context.Context, r *api.Request) (any, error) {
	p := r.Params()
	out := map[string]any{"caller": r.Caller, "source": p.String("source"), "refresh": p.Bool("refresh")}
	return out, p.Err()
}

func route(op api.Op, methods ...string) func(api.Shared) *api.Handler {
	return func(s api.Shared) *api.Handler {
		return api.NewHandler(api.Route{Path: "/test", Methods: methods}, op, s)
	}
}

// quiet are shared dependencies for a handler invoked directly.
func quiet(secrets api.Secrets) api.Shared {
	logger, _ := apitest.NewLogger()
	return api.Shared{Secrets: secrets, Logger: logger}
}

var post = apitest.Event{Method: "POST", Path: "/test"}

func TestAuthentication(t *testing.T) {
	noCallers := apitest.Value(apitest.AdminToken)
	noCallers.Callers = nil
	apitest.Run(t, route(echo, "POST"), []apitest.Case{
		{Name: "valid key", Event: post.Authorized(), Status: 200, Check: func(t *testing.T, r apitest.Response) {
			if !strings.Contains(r.Body, `"caller":"tester"`) {
				t.Errorf("body %s: want the caller's name", r.Body)
			}
		}},
		{Name: "lowercase scheme", Event: post.With("Authorization", "bearer "+apitest.CallerKey), Status: 200},
		{Name: "missing", Event: post, Status: 401, Code: "unauthorized", Check: wantChallenge},
		{Name: "empty", Event: post.With("Authorization", ""), Status: 401, Code: "unauthorized", Check: wantChallenge},
		{Name: "scheme only", Event: post.With("Authorization", "Bearer"), Status: 401, Code: "unauthorized"},
		{Name: "wrong key", Event: post.With("Authorization", "Bearer wrong-key-0001"), Status: 401, Code: "unauthorized", Check: wantChallenge},
		{Name: "basic scheme", Event: post.With("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte("tester:"+apitest.CallerKey))), Status: 401, Code: "unauthorized"},
		{Name: "key in X-Api-Key", Event: post.With("X-Api-Key", apitest.CallerKey), Status: 401, Code: "unauthorized"},
		{Name: "no callers configured", Event: post.Authorized(), Secrets: apitest.NewSecrets(noCallers), Status: 401, Code: "unauthorized"},
		{Name: "secret unavailable", Event: post.Authorized(), Secrets: apitest.FailingSecrets(apitest.ErrSecretsDown), Status: 503, Code: "secret_unavailable"},
		{Name: "secret malformed", Event: post.Authorized(), Secrets: apitest.FailingSecrets(fmt.Errorf("%w: callers", secret.ErrMalformed)), Status: 503, Code: "secret_unavailable"},
		// Authentication comes before the body is read.
		{Name: "bad body without key", Event: post.WithBody("text/plain", "x"), Status: 401, Code: "unauthorized"},
	})
}

// TestScopes: a caller's routes and expiry, checked after its key.
func TestScopes(t *testing.T) {
	hour := time.Hour
	secrets := func(c apitest.Caller) *apitest.Secrets {
		return apitest.NewSecrets(apitest.ValueWith(apitest.AdminToken, c))
	}
	forbidden := func(t *testing.T, r apitest.Response) {
		if r.Error.Message != "this caller key is not allowed on this route" {
			t.Errorf("message = %q", r.Error.Message)
		}
		if _, ok := r.Headers["WWW-Authenticate"]; ok {
			t.Errorf("a 403 carries WWW-Authenticate: the key itself is valid")
		}
	}
	asWrongKey := func(t *testing.T, r apitest.Response) {
		wantChallenge(t, r)
		if r.Error.Message != "a valid caller key is required: Authorization: Bearer <key>" {
			t.Errorf("message = %q, want a wrong key's", r.Error.Message)
		}
	}
	apitest.Run(t, route(echo, "POST"), []apitest.Case{
		{Name: "scoped key on its route", Event: post.Authorized(), Secrets: secrets(apitest.Tester.On("test")), Status: 200,
			Log: map[string]any{"caller": apitest.CallerName}},
		{Name: "scoped key among its routes", Event: post.Authorized(), Secrets: secrets(apitest.Tester.On("signin", "test")), Status: 200},
		{Name: "scoped key on another route", Event: post.Authorized(), Secrets: secrets(apitest.Tester.On("signin", "sources")), Status: 403, Code: "forbidden",
			Log: map[string]any{"caller": apitest.CallerName}, Check: forbidden},
		{Name: "route names are exact", Event: post.Authorized(), Secrets: secrets(apitest.Tester.On("/test")), Status: 403, Code: "forbidden"},
		{Name: "expired key", Event: post.Authorized(), Secrets: secrets(apitest.Tester.Until(time.Now().Add(-hour))), Status: 401, Code: "unauthorized",
			Log: map[string]any{"caller": ""}, Check: asWrongKey},
		{Name: "expired key outside its routes", Event: post.Authorized(), Secrets: secrets(apitest.Tester.On("signin").Until(time.Now().Add(-hour))), Status: 401, Code: "unauthorized", Check: asWrongKey},
		{Name: "future expiry", Event: post.Authorized(), Secrets: secrets(apitest.Tester.Until(time.Now().Add(hour))), Status: 200},
		{Name: "future expiry on its route", Event: post.Authorized(), Secrets: secrets(apitest.Tester.On("test").Until(time.Now().Add(hour))), Status: 200},
		// The scope is checked after the key: a wrong key is a 401 on any route.
		{Name: "wrong key beside a scoped one", Event: post.With("Authorization", "Bearer wrong-key-0001"), Secrets: secrets(apitest.Tester.On("signin")), Status: 401, Code: "unauthorized"},
		// and before the body is read.
		{Name: "forbidden before the body", Event: post.Authorized().WithBody("text/plain", "x"), Secrets: secrets(apitest.Tester.On("signin")), Status: 403, Code: "forbidden"},
	})
	// The string form allows every route.
	for _, scope := range endpoint.Scopes() {
		h := func(s api.Shared) *api.Handler {
			return api.NewHandler(api.Route{Path: "/" + scope, Methods: []string{"POST"}}, echo, s)
		}
		apitest.Run(t, h, []apitest.Case{{
			Name: "string form on " + scope, Event: apitest.Event{Method: "POST", Path: "/" + scope}.Authorized(), Status: 200,
		}, {
			Name: "scoped to " + scope, Event: apitest.Event{Method: "POST", Path: "/" + scope}.Authorized(),
			Secrets: secrets(apitest.Tester.On(scope)), Status: 200,
		}})
	}
}

func TestScope(t *testing.T) {
	for route, want := range map[string]string{"/transient-token": "transient-token", "/test": "test", "signin": "signin"} {
		if got := (api.Route{Path: route}).Scope(); got != want {
			t.Errorf("Scope of %q = %q, want %q", route, got, want)
		}
	}
}

func wantChallenge(t *testing.T, r apitest.Response) {
	if got := r.Headers["WWW-Authenticate"]; got != `Bearer realm="plexauth"` {
		t.Errorf("WWW-Authenticate = %q", got)
	}
}

func TestMethods(t *testing.T) {
	wantAllow := func(allow string) func(*testing.T, apitest.Response) {
		return func(t *testing.T, r apitest.Response) {
			if got := r.Headers["Allow"]; got != allow {
				t.Errorf("Allow = %q, want %q", got, allow)
			}
		}
	}
	get := apitest.Event{Method: "GET", Path: "/test"}.Authorized()
	apitest.Run(t, route(echo, "POST"), []apitest.Case{
		{Name: "GET on POST route", Event: get, Status: 405, Code: "method_not_allowed", Check: wantAllow("POST")},
		{Name: "PUT on POST route", Event: apitest.Event{Method: "PUT", Path: "/test"}.Authorized(), Status: 405, Code: "method_not_allowed", Check: wantAllow("POST")},
	})
	apitest.Run(t, route(echo, "GET", "POST"), []apitest.Case{
		{Name: "DELETE on GET/POST route", Event: apitest.Event{Method: "DELETE", Path: "/test"}.Authorized(), Status: 405, Code: "method_not_allowed", Check: wantAllow("GET, POST")},
		{Name: "lowercase method", Event: apitest.Event{Method: "get", Path: "/test"}.Authorized(), Status: 200},
	})
}

func TestBodies(t *testing.T) {
	auth := post.Authorized()
	pad := func(n int) string { // a JSON object of exactly n bytes
		return `{"source":"server://x","pad":"` + strings.Repeat("a", n-len(`{"source":"server://x","pad":""}`)) + `"}`
	}
	huge := auth.JSONBody(strings.Repeat("A", 4*api.MaxBodyBytes))
	apitest.Run(t, route(echo, "POST", "GET"), []apitest.Case{
		{Name: "json", Event: auth.JSONBody(`{"source":"server://x"}`), Status: 200, Check: wantSource("server://x")},
		{Name: "json with charset", Event: auth.WithBody("application/json; charset=utf-8", `{"source":"server://x"}`), Status: 200, Check: wantSource("server://x")},
		{Name: "json type in capitals", Event: auth.WithBody("Application/JSON", `{"source":"server://x"}`), Status: 200},
		{Name: "form", Event: auth.FormBody("source=server%3A%2F%2Fx&refresh=1"), Status: 200, Check: wantSource("server://x")},
		{Name: "empty body without type", Event: auth, Status: 200},
		{Name: "text/plain", Event: auth.WithBody("text/plain", "source=x"), Status: 415, Code: "unsupported_media_type"},
		{Name: "multipart", Event: auth.WithBody("multipart/form-data; boundary=x", "--x--"), Status: 415, Code: "unsupported_media_type"},
		{Name: "body without type", Event: auth.WithBody("", `{"source":"server://x"}`), Status: 415, Code: "unsupported_media_type"},
		{Name: "malformed type", Event: auth.WithBody("application/json;;=", `{}`), Status: 415, Code: "unsupported_media_type"},
		{Name: "GET body is ignored", Event: apitest.Event{Method: "GET", Path: "/test"}.Authorized().WithBody("text/plain", "x"), Status: 200},
		{Name: "at the limit", Event: auth.JSONBody(pad(api.MaxBodyBytes)), Status: 200},
		{Name: "over the limit", Event: auth.JSONBody(pad(api.MaxBodyBytes + 1)), Status: 413, Code: "payload_too_large"},
		{Name: "base64 at the limit", Event: auth.JSONBody(pad(api.MaxBodyBytes)).Encoded(), Status: 200},
		{Name: "base64 decoded over the limit", Event: auth.JSONBody(pad(api.MaxBodyBytes + 1)).Encoded(), Status: 413, Code: "payload_too_large"},
		{Name: "base64 encoded far over the limit", Event: huge.Encoded(), Status: 413, Code: "payload_too_large"},
		{Name: "base64 json", Event: auth.JSONBody(`{"source":"server://x"}`).Encoded(), Status: 200, Check: wantSource("server://x")},
		{Name: "base64 form", Event: auth.FormBody("source=server%3A%2F%2Fx").Encoded(), Status: 200, Check: wantSource("server://x")},
		{Name: "malformed json", Event: auth.JSONBody(`{"source":`), Status: 400, Code: "invalid_request", Check: apitest.Names("body")},
		{Name: "json array", Event: auth.JSONBody(`["source"]`), Status: 400, Code: "invalid_request", Check: apitest.Names("body")},
		{Name: "json null", Event: auth.JSONBody(`null`), Status: 400, Code: "invalid_request", Check: apitest.Names("body")},
		{Name: "trailing data", Event: auth.JSONBody(`{"source":"a"} {}`), Status: 400, Code: "invalid_request"},
		{Name: "malformed form", Event: auth.FormBody("source=%zz"), Status: 400, Code: "invalid_request", Check: apitest.Names("body")},
	})
}

func wantSource(s string) func(*testing.T, apitest.Response) {
	return func(t *testing.T, r apitest.Response) {
		var out struct{ Source string }
		r.Decode(t, &out)
		if out.Source != s {
			t.Errorf("source = %q, want %q", out.Source, s)
		}
	}
}

func TestParams(t *testing.T) {
	required := func(ctx context.Context, r *api.Request) (any, error) {
		p := r.Params()
		s := p.Required("source")
		return map[string]any{"source": s, "refresh": p.Bool("refresh")}, p.Err()
	}
	auth := post.Authorized()
	get := func(q string) apitest.Event {
		return apitest.Event{Method: "GET", Path: "/test", Query: q}.Authorized()
	}
	json := func(body string) apitest.Event { return auth.JSONBody(body) }
	apitest.Run(t, route(required, "GET", "POST"), []apitest.Case{
		{Name: "json fields", Event: json(`{"source":"s","refresh":true,"unknown":[1,2]}`), Status: 200, Check: wantSource("s")},
		{Name: "json null refresh", Event: json(`{"source":"s","refresh":null}`), Status: 200},
		{Name: "json missing", Event: json(`{"refresh":true}`), Status: 400, Code: "invalid_request", Check: apitest.Names("source")},
		{Name: "json empty", Event: json(`{"source":""}`), Status: 400, Code: "invalid_request", Check: apitest.Names("source")},
		{Name: "json blank", Event: json(`{"source":"  "}`), Status: 400, Code: "invalid_request", Check: apitest.Names("source")},
		{Name: "json null source", Event: json(`{"source":null}`), Status: 400, Code: "invalid_request", Check: apitest.Names("source")},
		{Name: "json number", Event: json(`{"source":42}`), Status: 400, Code: "invalid_request", Check: apitest.Names("source")},
		{Name: "json object", Event: json(`{"source":{"a":1}}`), Status: 400, Code: "invalid_request", Check: apitest.Names("source")},
		{Name: "json refresh as string", Event: json(`{"source":"s","refresh":"true"}`), Status: 400, Code: "invalid_request", Check: apitest.Names("refresh")},
		{Name: "empty post body", Event: auth, Status: 400, Code: "invalid_request", Check: apitest.Names("source")},
		{Name: "query", Event: get("source=server%3A%2F%2Fx&refresh=true"), Status: 200, Check: wantSource("server://x")},
		{Name: "query refresh 0", Event: get("source=s&refresh=0"), Status: 200},
		{Name: "query refresh yes", Event: get("source=s&refresh=yes"), Status: 400, Code: "invalid_request", Check: apitest.Names("refresh")},
		{Name: "query missing", Event: get(""), Status: 400, Code: "invalid_request", Check: apitest.Names("source")},
		{Name: "query malformed", Event: get("source=%zz"), Status: 400, Code: "invalid_request", Check: apitest.Names("query string")},
	})
}

// TestRawEvent covers what the event builder always normalises: header names
// in any case and a query string without queryStringParameters.
func TestRawEvent(t *testing.T) {
	h := route(echo, "GET")(quiet(apitest.NewSecrets()))
	ev := events.APIGatewayV2HTTPRequest{
		RawPath:        "/test",
		RawQueryString: "source=server%3A%2F%2Fx",
		Headers:        map[string]string{"AUTHORIZATION": "Bearer " + apitest.CallerKey},
		RequestContext: events.APIGatewayV2HTTPRequestContext{
			RequestID: "apigw-id",
			HTTP:      events.APIGatewayV2HTTPRequestContextHTTPDescription{Method: "GET"},
		},
	}
	resp, err := h.Handle(t.Context(), ev)
	if err != nil || resp.StatusCode != 200 || !strings.Contains(resp.Body, `"source":"server://x"`) {
		t.Fatalf("Handle = %d %s, %v", resp.StatusCode, resp.Body, err)
	}
	// A body API Gateway flagged as base64 that is not.
	ev.RequestContext.HTTP.Method = "POST"
	h = route(echo, "POST")(quiet(apitest.NewSecrets()))
	ev.Headers["content-type"] = "application/json"
	ev.Body, ev.IsBase64Encoded = "{not base64}", true
	resp, err = h.Handle(t.Context(), ev)
	if err != nil || resp.StatusCode != 400 || !strings.Contains(resp.Body, "base64") {
		t.Errorf("bad base64: got %d %s, %v; want 400 naming base64", resp.StatusCode, resp.Body, err)
	}
	// Without a Lambda context the request id is API Gateway's.
	ev.Headers = nil
	resp, err = h.Handle(t.Context(), ev)
	if err != nil || resp.StatusCode != 401 || !strings.Contains(resp.Body, `"requestId":"apigw-id"`) {
		t.Errorf("got %d %s, %v; want 401 carrying requestContext.requestId", resp.StatusCode, resp.Body, err)
	}
}

// rotating is a Plex call that accepts only the token "new-token".
type rotating struct{ calls atomic.Int32 }

func (f *rotating) call(_ context.Context, tok string) (string, error) {
	f.calls.Add(1)
	if tok != "new-token" {
		return "", &plex.Error{Op: "transient token", Kind: plex.ErrUnauthorized, Status: 401}
	}
	return "ok", nil
}

func TestAsAdmin(t *testing.T) {
	tests := []struct {
		name      string
		secrets   *apitest.Secrets
		status    int
		code      string
		calls     int32
		refreshes int
	}{
		{"current token", apitest.NewSecrets(apitest.Value("new-token")), 200, "", 1, 0},
		{"rotated", apitest.NewSecrets(apitest.Value("old-token"), apitest.Value("new-token")), 200, "", 2, 1},
		{"rotated twice still stale", apitest.NewSecrets(apitest.Value("old-token"), apitest.Value("older-token"), apitest.Value("new-token")), 403, "plex_unauthorized", 2, 1},
		{"refresh brings the same token", apitest.NewSecrets(apitest.Value("old-token")), 403, "plex_unauthorized", 1, 1},
		{"no admin token", apitest.NewSecrets(apitest.Value("")), 503, "secret_unavailable", 0, 0},
		// The edit that rotates the token may revoke the caller: the fresh
		// secret is checked before Plex is called again.
		{"rotated, caller removed", apitest.NewSecrets(apitest.Value("old-token"), apitest.ValueWith("new-token")), 401, "unauthorized", 1, 1},
		{"rotated, caller's key replaced", apitest.NewSecrets(apitest.Value("old-token"), apitest.ValueWith("new-token", apitest.Caller{Name: apitest.CallerName, Key: "other-key-0001"})), 401, "unauthorized", 1, 1},
		{"rotated, key now expired", apitest.NewSecrets(apitest.Value("old-token"), apitest.ValueWith("new-token", apitest.Tester.Until(time.Now().Add(-time.Minute)))), 401, "unauthorized", 1, 1},
		{"rotated, routes narrowed", apitest.NewSecrets(apitest.Value("old-token"), apitest.ValueWith("new-token", apitest.Tester.On("signin"))), 403, "forbidden", 1, 1},
		{"rotated, still on its routes", apitest.NewSecrets(apitest.ValueWith("old-token", apitest.Tester.On("test")), apitest.ValueWith("new-token", apitest.Tester.On("signin", "test"))), 200, "", 2, 1},
		{"rotated, caller renamed", apitest.NewSecrets(apitest.Value("old-token"), apitest.ValueWith("new-token", apitest.Caller{Name: "renamed", Key: apitest.CallerKey})), 200, "", 2, 1},
		// Without a new token there is no retry, so nothing to re-check.
		{"same token, caller removed", apitest.NewSecrets(apitest.Value("old-token"), apitest.ValueWith("old-token")), 403, "plex_unauthorized", 1, 1},
	}
	// A refused retry's log line says who was revoked.
	revoked := map[string]any{"caller": apitest.CallerName, "secretRefresh": "rotated"}
	wantLog := map[string]map[string]any{"rotated, caller removed": revoked, "rotated, routes narrowed": revoked}
	for _, tt := range tests {
		f := &rotating{}
		op := func(ctx context.Context, r *api.Request) (any, error) { return api.AsAdmin(ctx, r, f.call) }
		apitest.Run(t, route(op, "POST"), []apitest.Case{{
			Name: tt.name, Event: post.Authorized(), Secrets: tt.secrets, Status: tt.status, Code: tt.code,
			Hidden: []string{"old-token", "new-token", "older-token"}, Log: wantLog[tt.name],
			Check: func(t *testing.T, r apitest.Response) {
				if got := f.calls.Load(); got != tt.calls {
					t.Errorf("Plex calls = %d, want %d", got, tt.calls)
				}
				if got := tt.secrets.Refreshes(); got != tt.refreshes {
					t.Errorf("refreshes = %d, want %d", got, tt.refreshes)
				}
			},
		}})
	}
}

// refreshFails serves a stale token, then fails to refresh.
type refreshFails struct{ *apitest.Secrets }

func (refreshFails) Refresh(context.Context, secret.Value) (secret.Value, error) {
	return secret.Value{}, apitest.ErrSecretsDown
}

func TestAsAdminRefreshFails(t *testing.T) {
	f := &rotating{}
	h := route(func(ctx context.Context, r *api.Request) (any, error) { return api.AsAdmin(ctx, r, f.call) }, "POST")(quiet(refreshFails{apitest.NewSecrets(apitest.Value("old-token"))}))
	r := apitest.Invoke(t, t.Context(), h, post.Authorized().JSON())
	if r.Status != 503 || r.Error.Code != "secret_unavailable" || f.calls.Load() != 1 {
		t.Errorf("got %d %s after %d calls; want 503 secret_unavailable after 1", r.Status, r.Error.Code, f.calls.Load())
	}
}

func TestOpErrors(t *testing.T) {
	fail := func(err error) api.Op {
		return func(context.Context, *api.Request) (any, error) { return nil, err }
	}
	tests := []struct {
		name   string
		op     api.Op
		status int
		code   string
		check  func(*testing.T, apitest.Response)
	}{
		{"plex 5xx", fail(&plex.Error{Op: "user", Kind: plex.ErrUpstream, Status: 503}), 502, "plex_error", nil},
		{"plex 400", fail(&plex.Error{Op: "user", Kind: plex.ErrBadRequest, Status: 400, Code: 1000}), 502, "plex_error", nil},
		{"two-factor", fail(&plex.Error{Op: "sign in", Kind: plex.ErrTwoFactorRequired, Status: 401, Code: 1029}), 403, "plex_two_factor_required",
			func(t *testing.T, r apitest.Response) {
				if r.Error.PlexCode != 1029 {
					t.Errorf("plexCode = %d, want 1029", r.Error.PlexCode)
				}
			}},
		{"rate limited", fail(&plex.Error{Op: "sign in", Kind: plex.ErrRateLimited, Status: 429, RetryAfter: 2500 * time.Millisecond}), 429, "rate_limited",
			func(t *testing.T, r apitest.Response) {
				if r.Headers["Retry-After"] != "3" {
					t.Errorf("Retry-After = %q, want 3", r.Headers["Retry-After"])
				}
			}},
		{"unexpected", fail(errors.New("boom: internal detail")), 500, "internal_error",
			func(t *testing.T, r apitest.Response) {
				if strings.Contains(r.Body, "boom") {
					t.Errorf("body leaks the error: %s", r.Body)
				}
			}},
		{"unmarshalable answer", func(context.Context, *api.Request) (any, error) { return func() {}, nil }, 500, "internal_error", nil},
		{"panic", func(context.Context, *api.Request) (any, error) { panic("secret-panic-value") }, 500, "internal_error", nil},
	}
	for _, tt := range tests {
		apitest.Run(t, route(tt.op, "POST"), []apitest.Case{{
			Name: tt.name, Event: post.Authorized(), Status: tt.status, Code: tt.code,
			Hidden: []string{"secret-panic-value"}, Check: tt.check,
		}})
	}
}

// TestDeadline: an Op that waits for Plex until its context ends answers
// 504 while the invocation still has its margin left.
func TestDeadline(t *testing.T) {
	// The Op's deadline must be the invocation's less the margin: without the
	// margin it would end with the invocation and still map to 504, but only
	// once Lambda had already timed the function out.
	var mu sync.Mutex
	var opDeadline time.Time
	var hasDeadline bool
	op := func(ctx context.Context, r *api.Request) (any, error) {
		mu.Lock()
		opDeadline, hasDeadline = ctx.Deadline()
		mu.Unlock()
		<-ctx.Done()
		return nil, &plex.Error{Op: "user", Kind: plex.ErrTimeout, Err: ctx.Err()}
	}
	h := route(op, "POST")
	const timeout, margin = 400 * time.Millisecond, 300 * time.Millisecond
	start := time.Now()
	apitest.Run(t, func(s api.Shared) *api.Handler { s.Margin = margin; return h(s) }, []apitest.Case{{
		Name: "slow plex", Event: post.Authorized(), Timeout: timeout, Status: 504, Code: "plex_timeout",
	}})
	mu.Lock()
	defer mu.Unlock()
	// The invocation deadline is at least start+timeout; with the margin the
	// Op's ends about margin earlier.
	if !hasDeadline || !opDeadline.Before(start.Add(timeout)) {
		t.Errorf("Op deadline %v (set %v), %v after start: want it a margin before the invocation's (>= %v after start)",
			opDeadline, hasDeadline, opDeadline.Sub(start), timeout)
	}
}

func TestLogLine(t *testing.T) {
	op := func(ctx context.Context, r *api.Request) (any, error) {
		return nil, &plex.Error{Op: "user", Kind: plex.ErrUpstream, Status: 503, Code: 7}
	}
	logger, logs := apitest.NewLogger()
	h := route(op, "POST")(api.Shared{Secrets: apitest.NewSecrets(), Logger: logger})
	ev := post.Authorized().WithBody("application/json", `{"password":"hunter2-password"}`).With("X-Plex-Token", "user-token-0001")
	apitest.Invoke(t, apitest.LambdaContext(t.Context(), "lambda-1"), h, ev.JSON())
	line := logs.CheckLog(t, 502, apitest.CallerKey, apitest.AdminToken, "hunter2-password", "user-token-0001")
	want := map[string]any{
		"level": "ERROR", "message": "request", "requestId": "lambda-1", "route": "/test", "method": "POST",
		"caller": "tester", "status": 502.0, "code": "plex_error", "plexStatus": 503.0, "plexCode": 7.0,
		"plexKind": "upstream failure", "secretCache": "hit",
	}
	for k, v := range want {
		if line[k] != v {
			t.Errorf("log %s = %v, want %v", k, line[k], v)
		}
	}
}

// TestAnswerNotHTMLEscaped: an answer reads as itself, "&" and "<" and all (a
// PIN's authUrl, the 401's "Bearer <key>"), not "\u0026": the answers are for
// programs, not pages. Successes and errors alike.
func TestAnswerNotHTMLEscaped(t *testing.T) {
	const u = "https://app.plex.tv/auth#?clientID=a&code=b&x=<y>"
	op := func(context.Context, *api.Request) (any, error) { return map[string]string{"authUrl": u}, nil }
	h := route(op, "POST")(quiet(apitest.NewSecrets()))
	tests := []struct {
		name   string
		event  []byte
		status int
		want   string // the body starts with this
	}{
		{"success", post.Authorized().JSON(), 200, `{"authUrl":"` + u + `"}`},
		{"error", post.JSON(), 401, `{"error":{"code":"unauthorized","message":"a valid caller key is required: Authorization: Bearer <key>"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := apitest.Invoke(t, t.Context(), h, tt.event)
			if r.Status != tt.status || !strings.HasPrefix(r.Body, tt.want) || strings.HasSuffix(r.Body, "\n") {
				t.Errorf("got %d %s, want %d starting %s, and no trailing newline", r.Status, r.Body, tt.status, tt.want)
			}
		})
	}
}
