package apitest

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/plexauth/plexauth/internal/api"
	"github.com/plexauth/plexauth/pkg/plex/plextest"
)

// Case is one row of a handler's table test.
type Case struct {
	Name    string
	Event   Event
	Secrets *Secrets      // nil: NewSecrets()
	Timeout time.Duration // the invocation's deadline; 0: none
	Setup   func(t *testing.T)
	Status  int
	Code    string         // error code; "" for a 200
	Hidden  []string       // values, besides the defaults, that must not be logged
	Log     map[string]any // fields the log line must hold, as JSON decodes them
	Check   func(t *testing.T, r Response)
}

// Run runs each case on a fresh handler from newHandler, built with the
// case's secrets and a logger into a buffer, and checks status, error code and the
// request's one log line. The caller key, admin tokens, Authorization header
// and body must never appear in the log.
func Run(t *testing.T, newHandler func(api.Shared) *api.Handler, cases []Case) {
	t.Helper()
	for i, tc := range cases {
		t.Run(tc.Name, func(t *testing.T) {
			secrets := tc.Secrets
			if secrets == nil {
				secrets = NewSecrets()
			}
			logger, logs := NewLogger()
			// First: newHandler may reset shared state that Setup then arms.
			h := newHandler(api.Shared{Secrets: secrets, Logger: logger})
			if tc.Setup != nil {
				tc.Setup(t)
			}

			ctx := LambdaContext(t.Context(), fmt.Sprintf("lambda-req-%d", i))
			if tc.Timeout > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, tc.Timeout)
				defer cancel()
			}
			r := Invoke(t, ctx, h, tc.Event.JSON())
			if r.Status != tc.Status || r.Error.Code != tc.Code {
				t.Fatalf("got %d %q, want %d %q; body %s", r.Status, r.Error.Code, tc.Status, tc.Code, r.Body)
			}
			if tc.Code != "" && r.Error.RequestID != fmt.Sprintf("lambda-req-%d", i) {
				t.Errorf("requestId = %q, want the Lambda request id", r.Error.RequestID)
			}
			line := logs.CheckLog(t, r.Status, append(hidden(tc, secrets), AnswerTokens(r.Body)...)...)
			if tc.Code != "" && line["code"] != tc.Code {
				t.Errorf("log code = %v, want %q", line["code"], tc.Code)
			}
			for k, v := range tc.Log {
				if line[k] != v {
					t.Errorf("log %s = %v, want %v", k, line[k], v)
				}
			}
			if tc.Check != nil {
				tc.Check(t, r)
			}
		})
	}
}

// hidden lists what must not be logged, in any encoding: the caller key and
// Authorization header, every admin token, the simulator's user credentials
// and logins, the body and each of its longer field values.
func hidden(tc Case, s *Secrets) []string {
	out := []string{CallerKey, AdminToken, tc.Event.Headers["authorization"], tc.Event.Headers["x-plex-token"],
		plextest.UserToken, plextest.UserPassword, plextest.TwoFactorToken, plextest.TwoFactorPassword,
		plextest.UserLogin, plextest.UserEmail, plextest.TwoFactorLogin, plextest.TwoFactorEmail}
	if key, ok := strings.CutPrefix(tc.Event.Headers["authorization"], "Bearer "); ok {
		out = append(out, key)
	}
	out = append(out, tc.Hidden...)
	out = append(out, s.Tokens()...)
	if len(tc.Event.Body) >= 8 { // shorter bodies ("{}") could match by chance
		out = append(out, tc.Event.Body)
	}
	for _, v := range fieldValues(tc.Event.Body) {
		if len(v) >= 6 { // not flags or tiny values that could match by chance
			out = append(out, v)
		}
	}
	return out
}

// fieldValues returns the string values of a JSON object or form body.
func fieldValues(body string) []string {
	var out []string
	var obj map[string]any
	if json.Unmarshal([]byte(body), &obj) == nil {
		for _, v := range obj {
			if s, ok := v.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	form, _ := url.ParseQuery(body)
	for _, vs := range form {
		out = append(out, vs...)
	}
	return out
}

// AnswerTokens returns the non-empty values of fields named *token (token,
// authToken, accessToken) at any depth of a JSON answer: a transient, access
// or user token must not be logged. A body that is not JSON has none.
func AnswerTokens(body string) []string {
	var v any
	if json.Unmarshal([]byte(body), &v) != nil {
		return nil
	}
	var out []string
	var walk func(any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			for k, x := range v {
				if s, ok := x.(string); ok && s != "" && strings.HasSuffix(strings.ToLower(k), "token") {
					out = append(out, s)
				}
				walk(x)
			}
		case []any:
			for _, x := range v {
				walk(x)
			}
		}
	}
	walk(v)
	return out
}

// BodyCases are the rows about a POST body every route shares; post is an
// authorized POST event.
func BodyCases(post Event) []Case {
	big := `{"pad":"` + strings.Repeat("x", api.MaxBodyBytes) + `"}`
	return []Case{
		{Name: "wrong content type", Event: post.WithBody("text/plain", "login=alice"), Status: 415, Code: "unsupported_media_type"},
		{Name: "body without content type", Event: post.WithBody("", `{"a":1}`), Status: 415, Code: "unsupported_media_type"},
		{Name: "malformed json", Event: post.JSONBody(`{"login":`), Status: 400, Code: "invalid_request"},
		{Name: "json not an object", Event: post.JSONBody(`"login"`), Status: 400, Code: "invalid_request"},
		{Name: "oversized body", Event: post.JSONBody(big), Status: 413, Code: "payload_too_large"},
		{Name: "oversized base64 body", Event: post.JSONBody(big).Encoded(), Status: 413, Code: "payload_too_large"},
	}
}
