package endpoint

import (
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/plexauth/plexauth/internal/api"
	"github.com/plexauth/plexauth/internal/api/apitest"
	"github.com/plexauth/plexauth/internal/config"
	"github.com/plexauth/plexauth/internal/signinguard"
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
		{Name: "ip blocked", Event: post.JSONBody(alice), Setup: blockAddress(p), Status: 403, Code: "plex_ip_blocked", Check: plexCode(1031)},
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
	apitest.Run(t, p.Handler(build(SignIn, Deps{Plex: p.Client, Config: config.Config{SignIn: testLimits}})), cases)
}

// testLimits are the guard's limits in the tests, the defaults' size.
var testLimits = signinguard.Limits{LoginCooldown: time.Minute, BlockCooldown: 15 * time.Minute, CallerRate: 5, CallerBurst: 5}

// TestSignInGuard runs sequences of sign-ins through one handler and its
// guard against the simulator: what is held back gets 429 without reaching
// plex.tv, what is not goes through.
func TestSignInGuard(t *testing.T) {
	p := apitest.NewPlex(t)
	post := apitest.Event{Method: "POST", Path: "/signin"}.Authorized()
	signIn := func(login, password, code string) apitest.Event {
		return post.JSONBody(`{"login":"` + login + `","password":"` + password + `","verificationCode":"` + code + `"}`)
	}
	other := func(ev apitest.Event) apitest.Event { return ev.AuthorizedAs(apitest.OtherCallerKey) }
	const wrong = "wrong-password-0001"
	alice := signIn(plextest.UserLogin, plextest.UserPassword, "")
	aliceWrong := signIn(plextest.UserLogin, wrong, "")
	bob := signIn(plextest.TwoFactorLogin, plextest.TwoFactorPassword, plextest.TwoFactorCode)
	bobNoCode := signIn(plextest.TwoFactorLogin, plextest.TwoFactorPassword, "")
	bobWrongCode := signIn(plextest.TwoFactorLogin, plextest.TwoFactorPassword, "000000")

	type step struct {
		name       string
		wait       time.Duration // real time to let pass first
		ev         apitest.Event
		status     int
		code       string
		retryAfter int    // seconds a 429 asks for (a few may already have passed); 0: no header
		message    string // what a 429's message must say
		reached    int    // sign-ins plex.tv has received after this step
	}
	const cooling, paused, rate = "cooling down after a failed sign-in", "paused after Plex blocked", "sign-in rate limit"
	tests := []struct {
		name   string
		limits signinguard.Limits
		setup  func(t *testing.T) // before the steps, its plex.tv calls not counted
		steps  []step
	}{
		{name: "wrong password cools that login down", limits: testLimits, steps: []step{
			{name: "wrong password", ev: aliceWrong, status: 403, code: "plex_unauthorized", reached: 1},
			{name: "right password, cooling", ev: alice, status: 429, code: "rate_limited", retryAfter: 60, message: cooling, reached: 1},
			{name: "same login, other case and spaces", ev: signIn(" ALICE ", plextest.UserPassword, ""), status: 429, code: "rate_limited", retryAfter: 60, message: cooling, reached: 1},
			{name: "same login, other caller", ev: other(alice), status: 429, code: "rate_limited", retryAfter: 60, message: cooling, reached: 1},
			{name: "other login", ev: bob, status: 200, reached: 2},
		}},
		{name: "wrong code cools that login down", limits: testLimits, steps: []step{
			{name: "wrong code", ev: bobWrongCode, status: 403, code: "plex_invalid_verification_code", reached: 1},
			{name: "right code, cooling", ev: bob, status: 429, code: "rate_limited", retryAfter: 60, message: cooling, reached: 1},
			{name: "other login", ev: alice, status: 200, reached: 2},
		}},
		{name: "code required is not a failure", limits: testLimits, steps: []step{
			{name: "no code", ev: bobNoCode, status: 403, code: "plex_two_factor_required", reached: 1},
			{name: "with the code", ev: bob, status: 200, reached: 2},
		}},
		{name: "plex.tv failing is not a failed sign-in", limits: testLimits,
			setup: func(*testing.T) { p.SetFault(plextest.RouteSignIn, plextest.Fault{Status: 503, Times: 1}) },
			steps: []step{
				{name: "503", ev: alice, status: 502, code: "plex_error", reached: 1},
				{name: "again", ev: alice, status: 200, reached: 2},
			}},
		{name: "ip blocked pauses every sign-in", limits: testLimits, setup: blockAddress(p), steps: []step{
			{name: "plex.tv says blocked", ev: alice, status: 403, code: "plex_ip_blocked", reached: 1},
			{name: "other login", ev: bob, status: 429, code: "rate_limited", retryAfter: 900, message: paused, reached: 1},
			{name: "other caller", ev: other(bob), status: 429, code: "rate_limited", retryAfter: 900, message: paused, reached: 1},
		}},
		{name: "caller rate", limits: signinguard.Limits{CallerRate: 1, CallerBurst: 2}, steps: []step{
			{name: "first", ev: alice, status: 200, reached: 1},
			{name: "second, the burst", ev: bob, status: 200, reached: 2},
			{name: "third", ev: alice, status: 429, code: "rate_limited", retryAfter: 60, message: rate, reached: 2},
			{name: "other caller", ev: other(alice), status: 200, reached: 3},
		}},
		{name: "a held sign-in uses none of the caller's rate", limits: signinguard.Limits{LoginCooldown: time.Minute, CallerRate: 1, CallerBurst: 2}, steps: []step{
			{name: "wrong password", ev: aliceWrong, status: 403, code: "plex_unauthorized", reached: 1},
			{name: "cooling", ev: alice, status: 429, code: "rate_limited", message: cooling, retryAfter: 60, reached: 1},
			{name: "cooling again", ev: alice, status: 429, code: "rate_limited", message: cooling, retryAfter: 60, reached: 1},
			{name: "other login, the burst", ev: bob, status: 200, reached: 2},
			{name: "rate used up", ev: bob, status: 429, code: "rate_limited", message: rate, retryAfter: 60, reached: 2},
		}},
		{name: "after the cool-down", limits: signinguard.Limits{LoginCooldown: 20 * time.Millisecond}, steps: []step{
			{name: "wrong password", ev: aliceWrong, status: 403, code: "plex_unauthorized", reached: 1},
			{name: "right password later", wait: 50 * time.Millisecond, ev: alice, status: 200, reached: 2},
		}},
		{name: "limits off", limits: signinguard.Limits{}, steps: []step{
			{name: "wrong password", ev: aliceWrong, status: 403, code: "plex_unauthorized", reached: 1},
			{name: "right password", ev: alice, status: 200, reached: 2},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p.Reset()
			if tt.setup != nil {
				tt.setup(t)
			}
			before := p.Count(plextest.RouteSignIn)
			logger, logs := apitest.NewLogger()
			h := SignIn.Handler(Deps{Shared: api.Shared{Secrets: apitest.NewSecrets(apitest.TwoCallers(apitest.AdminToken)), Logger: logger},
				Plex: p.Client, Config: config.Config{SignIn: tt.limits}})
			for _, s := range tt.steps {
				time.Sleep(s.wait)
				r := apitest.Invoke(t, apitest.LambdaContext(t.Context(), "req-"+s.name), h, s.ev.JSON())
				if r.Status != s.status || r.Error.Code != s.code {
					t.Fatalf("%s: got %d %q, want %d %q; body %s", s.name, r.Status, r.Error.Code, s.status, s.code, r.Body)
				}
				if got := p.Count(plextest.RouteSignIn) - before; got != s.reached {
					t.Errorf("%s: plex.tv received %d sign-ins, want %d", s.name, got, s.reached)
				}
				checkRetryAfter(t, s.name, r.Headers["Retry-After"], s.retryAfter)
				if s.status == 429 && !strings.Contains(r.Error.Message, s.message) {
					t.Errorf("%s: message %q does not say %q", s.name, r.Error.Message, s.message)
				}
			}
			text := logs.String()
			for _, secret := range []string{plextest.UserLogin, plextest.TwoFactorLogin, plextest.UserPassword, plextest.TwoFactorPassword, wrong} {
				if strings.Contains(strings.ToLower(text), secret) {
					t.Errorf("the log holds %q:\n%s", secret, text)
				}
			}
		})
	}
}

// checkRetryAfter: want seconds, of which a few may already have passed
// on a slow machine; 0 wants no header.
func checkRetryAfter(t *testing.T, step, header string, want int) {
	t.Helper()
	if want == 0 {
		if header != "" {
			t.Errorf("%s: Retry-After = %q, want none", step, header)
		}
		return
	}
	got, err := strconv.Atoi(header)
	if err != nil || got > want || got < want-5 {
		t.Errorf("%s: Retry-After = %q, want %d (or a few seconds less)", step, header, want)
	}
}

// blockAddress fails sign-ins directly until plex.tv blocks this address.
func blockAddress(p *apitest.Plex) func(t *testing.T) {
	return func(t *testing.T) {
		for range plextest.MaxFailedSignIns {
			_, err := p.Client.SignIn(t.Context(), plex.Credentials{Login: plextest.UserLogin, Password: "wrong-password-0001"})
			if !errors.Is(err, plex.ErrUnauthorized) {
				t.Fatalf("failed sign-in: %v", err)
			}
		}
	}
}
