package endpoint

import (
	"fmt"
	"testing"

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
