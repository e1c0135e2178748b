package api_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/plexauth/plexauth/internal/api"
	"github.com/plexauth/plexauth/internal/api/apitest"
	"github.com/plexauth/plexauth/internal/redact"
	"github.com/plexauth/plexauth/internal/redact/redacttest"
	"github.com/plexauth/plexauth/pkg/plex"
)

// TestLogRedactsCause: an error whose text repeats what the request carried
// (the caller key, X-Plex-Token, a body field, the admin token), in every
// encoding, reaches the log line's error attribute without any of it. The
// rows cover both error paths: a Plex error (502) and any other (500).
func TestLogRedactsCause(t *testing.T) {
	echoing := func(kind error, secret string) func(api.Shared) *api.Handler {
		text := strings.Join(redacttest.Encodings(secret), " | ")
		return route(func(ctx context.Context, r *api.Request) (any, error) {
			r.Params().String("password")
			if kind != nil {
				return nil, &plex.Error{Op: "user", Kind: kind, Status: 500, Message: text}
			}
			return nil, errors.New("upstream said " + text)
		}, "POST")
	}
	hostile := append(slices.Clone(redacttest.Passwords), redacttest.Tokens...)
	for _, s := range hostile {
		rows := []struct {
			name  string
			event apitest.Event
			store *apitest.Secrets
		}{
			{"caller key", post.With("Authorization", "Bearer "+s), apitest.NewSecrets(apitest.KeyValue(apitest.AdminToken, s))},
			{"X-Plex-Token", post.Authorized().With("X-Plex-Token", s), nil},
			{"json field", post.Authorized().JSONBody(`{"password":` + string(must(json.Marshal(s))) + `}`), nil},
			{"form field", post.Authorized().FormBody("password=" + url.QueryEscape(s)), nil},
		}
		if !strings.ContainsAny(s, " \u00e4\u2713\U0001f511") { // what an admin token may hold
			rows = append(rows, struct {
				name  string
				event apitest.Event
				store *apitest.Secrets
			}{"admin token", post.Authorized(), apitest.NewSecrets(apitest.Value(s))})
		}
		for _, row := range rows {
			for _, c := range []struct {
				kind   error
				status int
			}{{plex.ErrUpstream, 502}, {nil, 500}} {
				t.Run(row.name+"/"+s, func(t *testing.T) {
					store := apitest.NewSecrets()
					if row.store != nil {
						store = row.store
					}
					logger, logs := apitest.NewLogger()
					h := echoing(c.kind, s)(api.Shared{Secrets: store, Logger: logger})
					r := apitest.Invoke(t, t.Context(), h, row.event.JSON())
					line := logs.CheckLog(t, c.status, s)
					if msg, _ := line["error"].(string); r.Status != c.status || !strings.Contains(msg, redact.Mark) {
						t.Errorf("got %d, log error %q: want %d and the secret redacted", r.Status, msg, c.status)
					}
				})
			}
		}
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
