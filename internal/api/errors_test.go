package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/plexauth/plexauth/internal/secret"
	"github.com/plexauth/plexauth/pkg/plex"
)

func plexErr(kind error) error {
	return &plex.Error{Op: "user", Kind: kind, Status: 500, Message: "detail for logs only",
		Err: errors.New(`Get "http://127.0.0.1:1/api/v2/user": connection refused`)}
}

func TestToError(t *testing.T) {
	tests := []struct {
		name   string
		err    error
		status int
		code   string
	}{
		{"invalid input", plexErr(plex.ErrInvalidInput), 400, CodeInvalidRequest},
		{"not configured is the deployment's fault", &plex.Error{Op: plex.OpSource, Kind: plex.ErrNotConfigured, Message: "detail for logs only"}, 500, CodeMisconfigured},
		{"unknown source", &plex.Error{Op: plex.OpSource, Kind: plex.ErrNotFound, Status: 404}, 404, CodeSourceNotFound},
		{"plex.tv 404 proves nothing", plexErr(plex.ErrNotFound), 502, CodePlexError},
		{"transient token 404", &plex.Error{Op: plex.OpTransientToken, Kind: plex.ErrNotFound, Status: 404}, 502, CodePlexError},
		{"plex 400 is not the caller's fault", plexErr(plex.ErrBadRequest), 502, CodePlexError},
		{"unauthorized", plexErr(plex.ErrUnauthorized), 403, CodePlexUnauthorized},
		{"two-factor required", plexErr(plex.ErrTwoFactorRequired), 403, CodeTwoFactorRequired},
		{"wrong verification code", plexErr(plex.ErrInvalidVerificationCode), 403, CodeInvalidVerificationCode},
		{"ip blocked", plexErr(plex.ErrIPBlocked), 403, CodeIPBlocked},
		{"rate limited", plexErr(plex.ErrRateLimited), 429, CodeRateLimited},
		{"upstream", plexErr(plex.ErrUpstream), 502, CodePlexError},
		{"malformed response", plexErr(plex.ErrMalformedResponse), 502, CodePlexError},
		{"timeout", plexErr(plex.ErrTimeout), 504, CodePlexTimeout},
		{"wrapped plex error", fmt.Errorf("op: %w", plexErr(plex.ErrTimeout)), 504, CodePlexTimeout},
		{"secret unavailable", fmt.Errorf("%w (timeout): boom", secret.ErrUnavailable), 503, CodeSecretUnavailable},
		{"secret malformed", fmt.Errorf("%w: callers.x", secret.ErrMalformed), 503, CodeSecretUnavailable},
		{"context deadline", fmt.Errorf("x: %w", context.DeadlineExceeded), 504, CodePlexTimeout},
		{"api error passes through", InvalidField("login", "is required"), 400, CodeInvalidRequest},
		{"unexpected", errors.New("something internal at /var/task"), 500, CodeInternal},
	}
	seen := map[error]bool{}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := toError(tt.err)
			if e.Status != tt.status || e.Code != tt.code {
				t.Errorf("toError = %d %s, want %d %s", e.Status, e.Code, tt.status, tt.code)
			}
			for _, leak := range []string{"detail for logs", "127.0.0.1", "connection refused", "/var/task", "boom"} {
				if strings.Contains(e.Message, leak) {
					t.Errorf("message %q leaks %q", e.Message, leak)
				}
			}
			var pe *plex.Error
			if errors.As(tt.err, &pe) {
				seen[pe.Kind] = true
			}
		})
	}
	for _, m := range plexErrors {
		if !seen[m.kind] {
			t.Errorf("kind %v has no row in this table", m.kind)
		}
	}
}

// TestToErrorSetting: a misconfiguration names, for the log only, the
// setting to fix; the caller's message says nothing more than that.
func TestToErrorSetting(t *testing.T) {
	e := toError(&plex.Error{Op: plex.OpTransientToken, Kind: plex.ErrNotConfigured, Message: "no server URL configured"})
	if e.setting != "PLEX_SERVER_URL" || e.Message != "the service is misconfigured" {
		t.Errorf("setting %q message %q", e.setting, e.Message)
	}
	if e := toError(plexErr(plex.ErrUpstream)); e.setting != "" {
		t.Errorf("an upstream failure names setting %q", e.setting)
	}
}

func TestToErrorPlexDetails(t *testing.T) {
	e := toError(&plex.Error{Op: "sign in", Kind: plex.ErrTwoFactorRequired, Status: 401, Code: 1029})
	if e.PlexCode != 1029 {
		t.Errorf("PlexCode = %d, want 1029", e.PlexCode)
	}
	e = toError(&plex.Error{Op: "sign in", Kind: plex.ErrRateLimited, Status: 429, RetryAfter: 1500 * time.Millisecond})
	if e.RetryAfter != 1500*time.Millisecond {
		t.Errorf("RetryAfter = %v, want 1.5s", e.RetryAfter)
	}
}

func TestRetryAfterHeader(t *testing.T) {
	tests := []struct {
		after time.Duration
		want  string // "" = no header
	}{
		{0, ""},
		{time.Millisecond, "1"},
		{500 * time.Millisecond, "1"},
		{time.Second, "1"},
		{1200 * time.Millisecond, "2"},
		{30 * time.Second, "30"},
	}
	for _, tt := range tests {
		e := toError(&plex.Error{Op: "sign in", Kind: plex.ErrRateLimited, Status: 429, RetryAfter: tt.after})
		resp := failure(e, "req")
		if got := resp.Headers["Retry-After"]; got != tt.want {
			t.Errorf("RetryAfter %v: header %q, want %q", tt.after, got, tt.want)
		}
		if resp.StatusCode != http.StatusTooManyRequests {
			t.Errorf("status = %d", resp.StatusCode)
		}
	}
}

func TestBearer(t *testing.T) {
	tests := []struct {
		header string
		key    string
		ok     bool
	}{
		{"Bearer k1", "k1", true},
		{"bearer k1", "k1", true},
		{"BEARER k1", "k1", true},
		{"  Bearer   k1  ", "k1", true},
		{"Bearer", "", false},
		{"Bearer ", "", false},
		{"", "", false},
		{"Basic dXNlcjpwYXNz", "", false},
		{"Token k1", "", false},
		{"k1", "", false},
		{"Bearerk1", "", false},
	}
	for _, tt := range tests {
		key, ok := bearer(tt.header)
		if key != tt.key || ok != tt.ok {
			t.Errorf("bearer(%q) = %q, %v; want %q, %v", tt.header, key, ok, tt.key, tt.ok)
		}
	}
}

func TestMediaType(t *testing.T) {
	tests := map[string]string{
		"application/json":                  "application/json",
		"application/json; charset=utf-8":   "application/json",
		"Application/JSON;charset=UTF-8":    "application/json",
		"application/x-www-form-urlencoded": "application/x-www-form-urlencoded",
		"text/plain":                        "text/plain",
		"":                                  "",
		";;;":                               "",
	}
	for in, want := range tests {
		if got := mediaType(in); got != want {
			t.Errorf("mediaType(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestMargin(t *testing.T) {
	deadline := time.Date(2030, 1, 1, 0, 0, 10, 0, time.UTC)
	tests := []struct {
		name     string
		margin   time.Duration
		deadline bool
		want     time.Time // zero: no deadline
	}{
		{"default", 0, true, deadline.Add(-DefaultMargin)},
		{"custom", 2 * time.Second, true, deadline.Add(-2 * time.Second)},
		{"disabled", -1, true, deadline},
		{"no invocation deadline", 0, false, time.Time{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			parent := context.Background()
			if tt.deadline {
				var cancel context.CancelFunc
				parent, cancel = context.WithDeadline(parent, deadline)
				defer cancel()
			}
			ctx, cancel := NewHandler(Route{}, nil, Shared{Margin: tt.margin}).withMargin(parent)
			defer cancel()
			got, ok := ctx.Deadline()
			if ok != !tt.want.IsZero() || !got.Equal(tt.want) {
				t.Errorf("deadline = %v, %v; want %v", got, ok, tt.want)
			}
		})
	}
}
