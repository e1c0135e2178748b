package api_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/plexauth/plexauth/internal/api"
	"github.com/plexauth/plexauth/internal/api/apitest"
)

// FuzzHandle feeds arbitrary methods, headers, queries and bodies to a
// handler whose Op reads every kind of field. Whatever arrives, the answer is
// a 2xx or 4xx with a JSON body (the envelope for errors), never a panic or
// a 5xx: bad input is the caller's problem, not an upstream failure.
func FuzzHandle(f *testing.F) {
	f.Add("POST", "Bearer "+apitest.CallerKey, "application/json", `{"source":"server://abc","refresh":true}`, false, "")
	f.Add("POST", "Bearer "+apitest.CallerKey, "application/x-www-form-urlencoded", "source=server%3A%2F%2Fabc&refresh=1", false, "")
	f.Add("GET", "bearer "+apitest.CallerKey, "", "", false, "source=provider://x&refresh=0")
	f.Add("POST", "Bearer "+apitest.CallerKey, "application/json; charset=utf-8", "eyJzb3VyY2UiOjF9", true, "")
	f.Add("PUT", "Basic abc", "text/plain", "\x00\xff", true, "%zz")
	h := api.NewHandler(api.Route{Path: "/fuzz", Methods: []string{http.MethodGet, http.MethodPost}},
		func(ctx context.Context, r *api.Request) (any, error) {
			p := r.Params()
			out := map[string]any{"source": p.Required("source"), "refresh": p.Bool("refresh"), "code": p.String("verificationCode")}
			return out, p.Err()
		},
		api.Shared{Secrets: apitest.NewSecrets(), Logger: slog.New(slog.NewJSONHandler(io.Discard, nil))})
	f.Fuzz(func(t *testing.T, method, auth, contentType, body string, encoded bool, query string) {
		ev := events.APIGatewayV2HTTPRequest{
			Version:         "2.0",
			RawQueryString:  query,
			Headers:         map[string]string{"authorization": auth, "content-type": contentType},
			Body:            body,
			IsBase64Encoded: encoded,
		}
		ev.RequestContext.HTTP.Method = method
		ev.RequestContext.RequestID = "fuzz"
		resp, err := h.Handle(context.Background(), ev)
		if err != nil {
			t.Fatalf("Handle returned an error: %v", err)
		}
		if resp.StatusCode >= 500 || resp.StatusCode < 200 {
			t.Fatalf("status %d for a request problem: %s", resp.StatusCode, resp.Body)
		}
		if !json.Valid([]byte(resp.Body)) {
			t.Fatalf("body is not JSON: %q", resp.Body)
		}
		if resp.StatusCode >= 400 {
			var env struct {
				Error struct{ Code, Message, RequestID string }
			}
			if json.Unmarshal([]byte(resp.Body), &env) != nil || env.Error.Code == "" || env.Error.RequestID != "fuzz" {
				t.Fatalf("error body without the envelope: %s", resp.Body)
			}
		}
	})
}
