package endpoint

import (
	"errors"
	"testing"

	"github.com/plexauth/plexauth/internal/api"
	"github.com/plexauth/plexauth/internal/api/apitest"
	"github.com/plexauth/plexauth/pkg/plex"
	"github.com/plexauth/plexauth/pkg/plex/plextest"
)

func TestSignIn(t *testing.T) {
	p := apitest.NewPlex(t)
	ev := apitest.Event{Method: "POST", Path: "/signin"}
	post := ev.Authorized()
	alice := `{"login":"` + plextest.UserLogin + `","password":"` + plextest.UserPassword + `"}`
	bob := func(code string) apitest.Event {
		return post.JSONBody(`{"login":"` + plextest.TwoFactorLogin + `","password":"` + plextest.TwoFactorPassword + `","verificationCode":"` + code + `"}`)
	}

	// signedIn checks the answer and the form plex.tv received.
	signedIn := func(username, token, rememberMe string) func(*testing.T, apitest.Response) {
		return func(t *testing.T, r apitest.Response) {
			var out struct {
				AuthToken string
				User      map[string]any
			}
			r.Decode(t, &out)
			if out.AuthToken != token || out.User["username"] != username || out.User["authToken"] != nil {
				t.Errorf("body = %s, want authToken and user %q (without a second token)", r.Body, username)
			}
			reqs := p.Requests()
			if len(reqs) != 1 || reqs[0].Form.Get("rememberMe") != rememberMe {
				t.Errorf("plex.tv got %d sign-ins, want 1 with rememberMe=%s", len(reqs), rememberMe)
			}
		}
	}
	plexCode := func(code int) func(*testing.T, apitest.Response) {
		return func(t *testing.T, r apitest.Response) {
			if r.Error.PlexCode != code {
				t.Errorf("plexCode = %d, want %d", r.Error.PlexCode, code)
			}
		}
	}
	// block fails sign-ins until plex.tv blocks this address.
	block := func(t *testing.T) {
		for range plextest.MaxFailedSignIns {
			_, err := p.Client.SignIn(t.Context(), plex.Credentials{Login: plextest.UserLogin, Password: "wrong-password-0001"})
			if !errors.Is(err, plex.ErrUnauthorized) {
				t.Fatalf("failed sign-in: %v", err)
			}
		}
	}
	cases := []apitest.Case{
		{Name: "json", Event: post.JSONBody(alice), Status: 200, Log: map[string]any{"route": "/signin", "plexStatus": float64(201)}, Check: signedIn(plextest.UserLogin, plextest.UserToken, "false")},
		{Name: "json with charset", Event: post.WithBody("application/json; charset=utf-8", alice), Status: 200},
		{Name: "json base64", Event: post.JSONBody(alice).Encoded(), Status: 200, Check: signedIn(plextest.UserLogin, plextest.UserToken, "false")},
		{Name: "form", Event: post.FormBody("login=" + plextest.UserEmail + "&password=" + plextest.UserPassword + "&rememberMe=true"), Status: 200,
			Check: signedIn(plextest.UserLogin, plextest.UserToken, "true")},
		{Name: "form base64", Event: post.FormBody("login=alice&password=" + plextest.UserPassword).Encoded(), Status: 200},
		{Name: "remember me", Event: post.JSONBody(`{"login":"alice","password":"` + plextest.UserPassword + `","rememberMe":true}`), Status: 200,
			Check: signedIn(plextest.UserLogin, plextest.UserToken, "true")},
		{Name: "two-factor code required", Event: bob(""), Status: 403, Code: "plex_two_factor_required", Check: plexCode(1029)},
		{Name: "two-factor code", Event: bob(plextest.TwoFactorCode), Status: 200, Check: signedIn(plextest.TwoFactorLogin, plextest.TwoFactorToken, "false")},
		{Name: "wrong two-factor code", Event: bob("000000"), Status: 403, Code: "plex_invalid_verification_code", Check: plexCode(1028)},
		{Name: "wrong password", Event: post.JSONBody(`{"login":"alice","password":"wrong-password-0001"}`), Status: 403, Code: "plex_unauthorized",
			Hidden: []string{"wrong-password-0001"}},
		{Name: "ip blocked", Event: post.JSONBody(alice), Setup: block, Status: 403, Code: "plex_ip_blocked", Check: plexCode(1031)},
		{Name: "empty login", Event: post.JSONBody(`{"login":"","password":"pw-0001"}`), Status: 400, Code: "invalid_request", Check: apitest.Names("login")},
		{Name: "missing password", Event: post.JSONBody(`{"login":"alice"}`), Status: 400, Code: "invalid_request", Check: apitest.Names("password")},
		{Name: "empty form", Event: post.FormBody("login=&password="), Status: 400, Code: "invalid_request", Check: apitest.Names("login")},
		{Name: "no body", Event: post, Status: 400, Code: "invalid_request", Check: apitest.Names("login")},
		{Name: "login not a string", Event: post.JSONBody(`{"login":1,"password":"pw-0001"}`), Status: 400, Code: "invalid_request", Check: apitest.Names("login")},
		{Name: "rememberMe not a bool", Event: post.JSONBody(`{"login":"alice","password":"pw-0001","rememberMe":"yes"}`), Status: 400, Code: "invalid_request", Check: apitest.Names("rememberMe")},
		{Name: "code not a string", Event: post.JSONBody(`{"login":"alice","password":"pw-0001","verificationCode":123456}`), Status: 400, Code: "invalid_request", Check: apitest.Names("verificationCode")},
	}
	cases = append(cases, apitest.AuthCases(ev.JSONBody(alice), "GET")...)
	cases = append(cases, apitest.BodyCases(post)...)
	cases = append(cases, p.FaultCases(ev.JSONBody(alice), plextest.RouteSignIn)...)
	apitest.Run(t, p.Handler(func() *api.Handler { return SignIn(p.Client) }), cases)
}
