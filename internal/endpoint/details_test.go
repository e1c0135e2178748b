package endpoint

import (
	"encoding/base64"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/plexauth/plexauth/internal/api"
	"github.com/plexauth/plexauth/internal/api/apitest"
	"github.com/plexauth/plexauth/pkg/plex/plextest"
)

func TestDetails(t *testing.T) {
	p := apitest.NewPlex(t)
	ev := apitest.Event{Method: "GET", Path: "/token-details"}
	get := ev.Authorized()
	post := apitest.Event{Method: "POST", Path: "/token-details"}.Authorized()
	user := get.With("X-Plex-Token", plextest.UserToken)

	// answer checks validity, the account and which token Plex was asked about.
	answer := func(valid bool, username, token string) func(*testing.T, apitest.Response) {
		return func(t *testing.T, r apitest.Response) {
			var out struct {
				Valid bool
				User  *struct{ Username string }
			}
			r.Decode(t, &out)
			if out.Valid != valid || (out.User == nil) == valid || (valid && out.User.Username != username) {
				t.Errorf("body = %s, want valid=%v user %q", r.Body, valid, username)
			}
			reqs := p.Requests()
			if len(reqs) == 0 || reqs[0].Header.Get("X-Plex-Token") != token {
				t.Errorf("Plex was not asked about the expected token")
			}
		}
	}
	noRefresh := apitest.NewSecrets()
	cases := []apitest.Case{
		{Name: "admin token", Event: get, Status: 200, Check: answer(true, plextest.AdminLogin, plextest.AdminToken)},
		{Name: "caller's token", Event: user, Status: 200, Check: answer(true, plextest.UserLogin, plextest.UserToken)},
		{Name: "caller's token by post", Event: post.With("X-Plex-Token", plextest.UserToken), Status: 200, Check: answer(true, plextest.UserLogin, plextest.UserToken)},
		{Name: "post with json body", Event: post.JSONBody(`{"ignored":true}`), Status: 200, Check: answer(true, plextest.AdminLogin, plextest.AdminToken)},
		{Name: "post base64 form", Event: post.FormBody("ignored=1").Encoded(), Status: 200},
		{Name: "caller's token with a control character", Event: get.With("X-Plex-Token", "abc\x01def"), Status: 400, Code: api.CodeInvalidRequest, Check: apitest.Names("X-Plex-Token")},
		{Name: "empty header means admin", Event: get.With("X-Plex-Token", " "), Status: 200, Check: answer(true, plextest.AdminLogin, plextest.AdminToken)},
		// A rejected caller token is an answer, not an error, and never
		// refreshes the admin secret.
		{Name: "caller's token not valid", Event: get.With("X-Plex-Token", "revoked-user-token-0001"), Secrets: noRefresh, Status: 200,
			Hidden: []string{"revoked-user-token-0001"}, Log: map[string]any{"plexStatus": 401.0, "caller": apitest.CallerName},
			Check: func(t *testing.T, r apitest.Response) {
				answer(false, "", "revoked-user-token-0001")(t, r)
				if noRefresh.Refreshes() != 0 {
					t.Errorf("a caller's token refreshed the admin secret")
				}
			}},
		{Name: "plex 422 invalid token", Event: user, Setup: func(*testing.T) { p.SetFault(plextest.RouteUser, plextest.Fault{Status: 422}) },
			Status: 200, Log: map[string]any{"plexStatus": 422.0}, Check: answer(false, "", plextest.UserToken)},
	}
	// Any 401 or 422 from plex.tv rejects the token, whatever code comes
	// with it (the sign-in codes mean nothing here); a 5xx proves nothing.
	for _, f := range []plextest.Fault{
		{Status: 401}, {Status: 401, Code: 1028}, {Status: 401, Code: 1029}, {Status: 401, Code: 1031},
		{Status: 422}, {Status: 422, Code: 1001},
	} {
		cases = append(cases, apitest.Case{
			Name: fmt.Sprintf("plex %d code %d", f.Status, f.Code), Event: user, Status: 200,
			Setup: func(*testing.T) { p.SetFault(plextest.RouteUser, f) },
			Log:   map[string]any{"plexStatus": float64(f.Status), "plexKind": "unauthorized"},
			Check: answer(false, "", plextest.UserToken),
		})
	}
	for _, status := range []int{500, 502, 504} {
		cases = append(cases, apitest.Case{
			Name: fmt.Sprintf("plex %d stays an error", status), Event: user, Status: 502, Code: "plex_error",
			Setup: func(*testing.T) { p.SetFault(plextest.RouteUser, plextest.Fault{Status: status}) },
		})
	}
	postEv := apitest.Event{Method: "POST", Path: "/token-details"}
	cases = append(cases, apitest.AuthCases(ev, "PUT")...)
	cases = append(cases, apitest.AuthCases(postEv, "DELETE")...)
	cases = append(cases, apitest.BodyCases(post)...)
	// Failures that prove nothing about the token stay errors.
	cases = append(cases, p.FaultCases(ev.With("X-Plex-Token", plextest.UserToken), plextest.RouteUser)...)
	cases = append(cases, p.FaultCases(postEv.With("X-Plex-Token", plextest.UserToken), plextest.RouteUser)...)
	// A stale admin token, still rejected after one refresh, is reported as not valid.
	cases = append(cases, p.RotationCases(ev, plextest.RouteUser, 200, "")...)
	apitest.Run(t, p.Handler(build(Details, Deps{Plex: p.Client})), cases)
}

// jwtFor crafts a Plex-like JWT (not signed for real: nothing verifies it)
// with the given exp and a claim that must never be echoed.
func jwtFor(exp int64) string {
	enc := base64.RawURLEncoding.EncodeToString
	payload := fmt.Sprintf(`{"exp":%d,"user":{"uuid":"claim-never-echoed"},"thumbprint":"claim-never-echoed"}`, exp)
	return enc([]byte(`{"alg":"EdDSA","typ":"JWT","kid":"k1"}`)) + "." + enc([]byte(payload)) + "." + enc([]byte("not-a-real-signature"))
}

func TestDetailsTokenKind(t *testing.T) {
	p := apitest.NewPlex(t)
	get := apitest.Event{Method: "GET", Path: "/token-details"}.Authorized()
	exp := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	jwt := jwtFor(exp.Unix())
	adminJWT := func(t *testing.T) {
		p.SetAdminToken(jwt)
		t.Cleanup(func() { p.SetAdminToken(plextest.AdminToken) })
	}
	kind := func(valid bool, tokenType string, expires *time.Time) func(*testing.T, apitest.Response) {
		return func(t *testing.T, r apitest.Response) {
			var out struct {
				Valid             bool
				TokenType         string
				ExpiresAt         *time.Time
				ExpiresAtVerified *bool
			}
			r.Decode(t, &out)
			if out.Valid != valid || out.TokenType != tokenType {
				t.Errorf("valid %v tokenType %q, want %v %q", out.Valid, out.TokenType, valid, tokenType)
			}
			switch {
			case expires == nil && (out.ExpiresAt != nil || out.ExpiresAtVerified != nil):
				t.Errorf("body %s: want no expiresAt", r.Body)
			case expires != nil && (out.ExpiresAt == nil || !out.ExpiresAt.Equal(*expires) || out.ExpiresAtVerified == nil || *out.ExpiresAtVerified):
				t.Errorf("body %s: want expiresAt %v labelled expiresAtVerified=false", r.Body, expires)
			}
			for _, s := range []string{jwt, "claim-never-echoed", "kid", "EdDSA"} {
				if strings.Contains(r.Body, s) {
					t.Errorf("body echoes %q from the token", s)
				}
			}
		}
	}
	jwtSecrets := func() *apitest.Secrets { return apitest.NewSecrets(apitest.Value(jwt)) }
	cases := []apitest.Case{
		{Name: "classic admin token", Event: get, Status: 200, Check: kind(true, "classic", nil)},
		{Name: "classic caller token", Event: get.With("X-Plex-Token", plextest.UserToken), Status: 200, Check: kind(true, "classic", nil)},
		{Name: "jwt admin token", Event: get, Secrets: jwtSecrets(), Setup: adminJWT, Status: 200, Hidden: []string{jwt}, Check: kind(true, "jwt", &exp)},
		{Name: "jwt admin token rejected", Event: get, Secrets: jwtSecrets(), Status: 200, Hidden: []string{jwt}, Check: kind(false, "jwt", &exp)},
		{Name: "jwt caller token rejected", Event: get.With("X-Plex-Token", jwt), Status: 200, Hidden: []string{jwt}, Check: kind(false, "jwt", &exp)},
		{Name: "jwt without exp", Event: get.With("X-Plex-Token", jwtNoExp), Status: 200, Hidden: []string{jwtNoExp}, Check: kind(false, "jwt", nil)},
		{Name: "three dots but no jwt", Event: get.With("X-Plex-Token", "a.b.c"), Status: 200, Check: kind(false, "classic", nil)},
	}
	apitest.Run(t, p.Handler(build(Details, Deps{Plex: p.Client})), cases)
}

var jwtNoExp = base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"EdDSA"}`)) + "." +
	base64.RawURLEncoding.EncodeToString([]byte(`{"sub":"claim-never-echoed"}`)) + ".c2lnbmF0dXJl"
