package e2e

import (
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/plexauth/plexauth/internal/api/apitest"
	"github.com/plexauth/plexauth/internal/secret/secrettest"
	"github.com/plexauth/plexauth/pkg/plex/plextest"
)

// bogusToken is a user token plex.tv does not know.
const bogusToken = "bogus-user-token-0001"

// scenario is one invocation and the answer it must get.
type scenario struct {
	name   string
	event  apitest.Event
	fault  *plextest.Fault // armed on the function's Plex route for this invocation
	status int
	code   string // error code; "" for a 200
	check  func(t *testing.T, a answer)
}

func authorized(e apitest.Event) apitest.Event { return e.With("Authorization", "Bearer "+ciKey) }

// scenarios are the rows for f: the ones every function shares, then its own.
func scenarios(f function) []scenario {
	ok := authorized(f.ok)
	rows := []scenario{
		{name: "success", event: ok, status: f.success(), check: f.check},
		{name: "no caller key", event: f.ok, status: 401, code: "unauthorized", check: header("WWW-Authenticate", `Bearer realm="plexauth"`)},
		{name: "wrong caller key", event: f.ok.With("Authorization", "Bearer not-the-key-0001"), status: 401, code: "unauthorized"},
		{name: "plex 503", event: ok, fault: &plextest.Fault{Status: 503}, status: 502, code: "plex_error"},
		// Plex's error repeats the request: nothing of it may reach the log.
		{name: "plex 500 echoes", event: echoing(f), fault: &plextest.Fault{Status: 500, Echo: true}, status: 502, code: "plex_error"},
		{name: "plex 400 echoes in XML", event: echoing(f), fault: &plextest.Fault{Status: 400, Echo: true, XML: true}, status: 502, code: "plex_error"},
		// Retry-After above the client's longest wait: no retry, the caller is told.
		{name: "plex 429", event: ok, fault: &plextest.Fault{Status: 429, RetryAfter: "7"}, status: 429, code: "rate_limited",
			check: header("Retry-After", "7")},
	}
	switch f.name {
	case "transient":
		rows = append(rows,
			scenario{name: "wrong method", event: authorized(apitest.Event{Method: "GET", Path: "/transient-token"}), status: 405, code: "method_not_allowed"})
	case "sources":
		get := authorized(apitest.Event{Method: "GET", Path: "/sources"})
		post := authorized(apitest.Event{Method: "POST", Path: "/sources"})
		rows = append(rows,
			scenario{name: "bad source", event: func() apitest.Event { e := get; e.Query = "source=ftp%3A%2F%2Fx"; return e }(),
				status: 400, code: "invalid_request", check: names("source")},
			scenario{name: "no source", event: get, status: 400, code: "invalid_request", check: names("source")},
			scenario{name: "post provider", event: post.JSONBody(`{"source":"provider://` + plextest.ProviderID + `","refresh":true}`),
				status: 200, check: deviceOK(plextest.ProviderID)})
	case "details":
		get := authorized(apitest.Event{Method: "GET", Path: "/token-details"})
		rows = append(rows,
			scenario{name: "user token", event: get.With("X-Plex-Token", plextest.UserToken), status: 200, check: detailsOK(true, plextest.UserLogin)},
			scenario{name: "bogus token", event: get.With("X-Plex-Token", bogusToken), status: 200, check: detailsOK(false, "")})
	case "signin":
		post := authorized(apitest.Event{Method: "POST", Path: "/signin"})
		rows = append(rows,
			scenario{name: "empty login", event: post.JSONBody(`{"login":"","password":"correct-horse-battery"}`),
				status: 400, code: "invalid_request", check: names("login")},
			scenario{name: "two-factor required", event: post.JSONBody(`{"login":"bob","password":"bob-password-staple"}`),
				status: 403, code: "plex_two_factor_required"},
			scenario{name: "two-factor code", event: post.JSONBody(`{"login":"bob","password":"bob-password-staple","verificationCode":"123456"}`),
				status: 200, check: signInOK(plextest.TwoFactorToken, plextest.TwoFactorLogin)},
			scenario{name: "form body", event: post.FormBody("login=alice%40example.com&password=correct-horse-battery"),
				status: 200, check: signInOK(plextest.UserToken, plextest.UserLogin)},
			// A login no other row uses: its cool-down (the default minute)
			// holds the next try back without a plex.tv call.
			scenario{name: "wrong password", event: post.JSONBody(`{"login":"carol","password":"wrong-password-0001"}`),
				status: 403, code: "plex_unauthorized"},
			scenario{name: "login cooling down", event: post.JSONBody(`{"login":"carol","password":"wrong-password-0002"}`),
				status: 429, code: "rate_limited", check: retryAfterAtMost(60)})
	}
	return rows
}

// TestFunctions runs every function's bootstrap against one Secrets Manager
// stand-in for the whole test binary, each function with its own secret and
// simulator so that they run in parallel. It covers the scenarios, the
// sample events, an admin token rotation, a missing secret and, last, the
// logs of it all. (The real SDK against moto's protocol is proven once, in
// internal/secret; here the bootstraps are under test.)
func TestFunctions(t *testing.T) {
	sm := secrettest.NewServer(t)
	root := moduleRoot(t)
	for _, f := range functions {
		t.Run(f.name, func(t *testing.T) {
			t.Parallel()
			sim := plextest.NewServer()
			t.Cleanup(sim.Close)
			name := "plexauth-e2e-" + f.name
			arn := sm.Put(name, secretJSON(plextest.AdminToken))
			in := start(t, f, functionEnv(f.name, sim.URL, sm.URL, arn))
			// A secret that does not exist: the function answers 503 and stays up.
			missing := start(t, f, functionEnv(f.name, sim.URL, sm.URL, arn+"-missing"))

			for _, sc := range scenarios(f) {
				t.Run(sc.name, func(t *testing.T) {
					if sc.fault != nil {
						sim.SetFault(f.route, *sc.fault)
						t.Cleanup(sim.ClearFaults)
					}
					a := in.invoke(t, sc.event.JSON())
					if a.Status != sc.status || a.Error.Code != sc.code {
						t.Fatalf("got %d %q, want %d %q; body %s", a.Status, a.Error.Code, sc.status, sc.code, a.Body)
					}
					if sc.fault != nil && sim.Count(f.route) == 0 {
						t.Errorf("Plex route %s was not called", f.route)
					}
					if sc.check != nil {
						sc.check(t, a)
					}
				})
			}

			// The sample events for sam local must keep working as they are.
			t.Run("event", func(t *testing.T) {
				event, err := os.ReadFile(filepath.Join(root, "events", f.name+".json"))
				if err != nil {
					t.Fatal(err)
				}
				a := in.invoke(t, event)
				if a.Status != f.success() {
					t.Fatalf("events/%s.json: got %d %s", f.name, a.Status, a.Body)
				}
				f.check(t, a)
				if got := in.requestLine(t, a.RequestID)["caller"]; got != "local" {
					t.Errorf("caller = %v, want local", got)
				}
			})

			// Every answer so far came from the secret fetched at cold start.
			if got := in.count("secret fetched"); got != 1 {
				t.Errorf("secret fetched %d times before the rotation, want 1", got)
			}

			const rotated = "rotated-admin-token-0002"
			t.Run("rotation", func(t *testing.T) {
				sm.Put(name, secretJSON(rotated)) // a new AWSCURRENT version, as a rotation makes
				sim.SetAdminToken(rotated)
				ok := authorized(f.ok)
				first := in.invoke(t, ok.JSON())
				second := in.invoke(t, ok.JSON())
				for _, a := range []answer{first, second} {
					if a.Status != f.success() {
						t.Fatalf("after the rotation: got %d %s", a.Status, a.Body)
					}
				}
				// The first request after the rotation refetched the secret once;
				// the next one uses the new token straight away.
				want, fetches := "rotated", 2
				if !f.admin {
					want, fetches = "", 1 // sign-in and PINs never call Plex with the admin token
				}
				if got, _ := in.requestLine(t, first.RequestID)["secretRefresh"].(string); got != want {
					t.Errorf("secretRefresh = %q, want %q", got, want)
				}
				if got := in.requestLine(t, second.RequestID)["secretRefresh"]; got != nil {
					t.Errorf("second request after the rotation: secretRefresh = %v, want none", got)
				}
				if got := in.count("secret fetched"); got != fetches {
					t.Errorf("secret fetched %d times, want %d", got, fetches)
				}
			})

			t.Run("missing secret", func(t *testing.T) {
				for range 2 {
					a := missing.invoke(t, authorized(f.ok).JSON())
					if a.Status != 503 || a.Error.Code != "secret_unavailable" {
						t.Fatalf("got %d %s, want 503 secret_unavailable", a.Status, a.Body)
					}
				}
				if !missing.running() {
					t.Fatalf("the function exited: %v", missing.proc.ExitErr())
				}
			})

			// Last, over everything above: nothing private in the logs, and one
			// request line per invocation.
			t.Run("logs", func(t *testing.T) {
				secrets := []string{
					plextest.AdminToken, rotated, plextest.UserToken, plextest.TwoFactorToken,
					plextest.UserPassword, plextest.TwoFactorPassword, plextest.TwoFactorCode,
					ciKey, localKey, bogusToken, hostile,
					plextest.UserLogin, plextest.UserEmail, plextest.TwoFactorLogin, plextest.TwoFactorEmail,
					plextest.OwnedServerToken, plextest.SharedServerToken, plextest.SecureServerToken,
				}
				for name, p := range map[string]*instance{"function": in, "missing secret": missing} {
					t.Run(name, func(t *testing.T) { p.checkLogs(t, secrets...) })
				}
			})
		})
	}
}

// hostile is a password, login, code and user token with the characters
// that encode differently everywhere; echoing sends it where f can.
const hostile = `all @%+&=#!"\ /ä✓`

func echoing(f function) apitest.Event {
	e := authorized(f.ok)
	switch f.name {
	case "signin":
		return e.FormBody("login=" + url.QueryEscape(hostile) + "&password=" + url.QueryEscape(hostile) + "&verificationCode=" + url.QueryEscape(hostile))
	case "details":
		return e.With("X-Plex-Token", hostile)
	}
	return e
}

func header(name, want string) func(*testing.T, answer) {
	return func(t *testing.T, a answer) {
		t.Helper()
		if got := a.Headers[name]; got != want {
			t.Errorf("%s = %q, want %q", name, got, want)
		}
	}
}

// retryAfterAtMost checks Retry-After: max seconds, of which a few may
// already have passed.
func retryAfterAtMost(max int) func(*testing.T, answer) {
	return func(t *testing.T, a answer) {
		t.Helper()
		if got, err := strconv.Atoi(a.Headers["Retry-After"]); err != nil || got > max || got < max-5 {
			t.Errorf("Retry-After = %q, want %d or a few less", a.Headers["Retry-After"], max)
		}
	}
}

// names checks that the error message names the field at fault.
func names(field string) func(*testing.T, answer) {
	return func(t *testing.T, a answer) {
		t.Helper()
		if !strings.HasPrefix(a.Error.Message, field+" ") {
			t.Errorf("message %q does not name %q", a.Error.Message, field)
		}
	}
}

func transientOK(t *testing.T, a answer) {
	t.Helper()
	var out struct{ Token string }
	a.decode(t, &out)
	if !strings.HasPrefix(out.Token, "transient-") {
		t.Errorf("body %s: want a transient token", a.Body)
	}
}

func deviceOK(id string) func(*testing.T, answer) {
	return func(t *testing.T, a answer) {
		t.Helper()
		var out struct {
			Device *struct {
				Name, ClientIdentifier, AccessToken string
				Connections                         []struct{ URI string }
			}
		}
		a.decode(t, &out)
		if d := out.Device; d == nil || d.ClientIdentifier != id || d.AccessToken == "" || len(d.Connections) == 0 {
			t.Errorf("body %s: want device %s with a token and connections", a.Body, id)
		}
	}
}

func detailsOK(valid bool, username string) func(*testing.T, answer) {
	return func(t *testing.T, a answer) {
		t.Helper()
		var out struct {
			Valid *bool
			User  *struct{ Username string }
		}
		a.decode(t, &out)
		if out.Valid == nil || *out.Valid != valid || (out.User != nil) != valid || (valid && out.User.Username != username) {
			t.Errorf("body %s: want valid=%v user %q", a.Body, valid, username)
		}
	}
}

func signInOK(token, username string) func(*testing.T, answer) {
	return func(t *testing.T, a answer) {
		t.Helper()
		var out struct {
			AuthToken string
			User      *struct{ Username string }
		}
		a.decode(t, &out)
		if out.AuthToken != token || out.User == nil || out.User.Username != username {
			t.Errorf("body does not hold %s's token and account", username)
		}
	}
}

// serversOK: the admin's own server is listed with its connections, and
// without its access token (the caller did not ask for it).
func serversOK(t *testing.T, a answer) {
	t.Helper()
	var out struct {
		Servers []struct {
			ClientIdentifier, AccessToken string
			Owned                         bool
			Connections                   []struct{ URI string }
		}
	}
	a.decode(t, &out)
	for _, s := range out.Servers {
		if s.AccessToken != "" {
			t.Errorf("server %s: an access token nobody asked for", s.ClientIdentifier)
		}
		if s.ClientIdentifier == plextest.ServerID && s.Owned && len(s.Connections) > 0 {
			return
		}
	}
	t.Errorf("body %s: want the owned server %s with its connections", a.Body, plextest.ServerID)
}
