package plextest_test

import (
	"errors"
	"fmt"
	"io"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/plexauth/plexauth/pkg/plex/plextest"
)

const transientPath = "/security/token?type=delegation&scope=all"

func signinForm(login, password, code string) url.Values {
	f := url.Values{"login": {login}, "password": {password}}
	if code != "" {
		f.Set("verificationCode", code)
	}
	return f
}

func TestRoutes(t *testing.T) {
	srv := plextest.NewServer()
	defer srv.Close()

	tests := []struct {
		name      string
		call      call
		status    int
		ctype     string         // Content-Type prefix
		code      int            // Plex error code (errors.0.code), if any
		fields    map[string]any // dotted JSON path -> value
		transient []string       // dotted JSON paths holding a new transient token
	}{
		{name: "transient POST", call: call{method: "POST", path: transientPath, token: plextest.AdminToken},
			status: 200, ctype: "application/json", fields: map[string]any{"MediaContainer.size": 0.0},
			transient: []string{"MediaContainer.token"}},
		{name: "transient GET", call: call{method: "GET", path: transientPath, token: plextest.AdminToken},
			status: 200, ctype: "application/json", transient: []string{"MediaContainer.token"}},
		{name: "transient bad token", call: call{method: "POST", path: transientPath, token: "nope"}, status: 403, ctype: "text/html"},
		{name: "transient no token", call: call{method: "POST", path: transientPath}, status: 403, ctype: "text/html"},
		{name: "transient token in URL only", call: call{method: "POST", path: transientPath + "&X-Plex-Token=" + plextest.AdminToken}, status: 403, ctype: "text/html"},
		{name: "transient wrong type", call: call{method: "POST", path: "/security/token?type=shared&scope=all", token: plextest.AdminToken}, status: 400, ctype: "text/html"},
		{name: "transient no scope", call: call{method: "POST", path: "/security/token?type=delegation", token: plextest.AdminToken}, status: 400, ctype: "text/html"},
		{name: "transient PUT", call: call{method: "PUT", path: transientPath, token: plextest.AdminToken}, status: 405, ctype: "text/plain"},
		{name: "transient no client id", call: call{method: "POST", path: transientPath, token: plextest.AdminToken, noClientID: true},
			status: 400, ctype: "application/json", code: 1000},

		{name: "resources server", call: call{method: "GET", path: "/security/resources?source=" + plextest.ServerSource, token: plextest.AdminToken},
			status: 200, ctype: "application/json",
			fields: map[string]any{
				"MediaContainer.Device.name":                  "Sim Media Server",
				"MediaContainer.Device.clientIdentifier":      plextest.ServerID,
				"MediaContainer.Device.Connection.0.local":    true,
				"MediaContainer.Device.Connection.0.relay":    false,
				"MediaContainer.Device.Connection.0.port":     32400.0,
				"MediaContainer.Device.Connection.1.local":    false,
				"MediaContainer.Device.Connection.1.relay":    true,
				"MediaContainer.Device.Connection.1.protocol": "https",
				"MediaContainer.Device.Connection.0.address":  "192.168.1.10",
				"MediaContainer.Device.Connection.1.uri":      "https://203-0-113-50.0123456789abcdef0123456789abcdef.plex.direct:8443",
				"MediaContainer.Device.Connection.0.uri":      "https://192-168-1-10.0123456789abcdef0123456789abcdef.plex.direct:32400",
				"MediaContainer.Device.Connection.1.address":  "203.0.113.50",
				"MediaContainer.Device.Connection.1.port":     8443.0,
				"MediaContainer.Device.Connection.0.protocol": "https",
				"MediaContainer.size":                         1.0,
			},
			transient: []string{"MediaContainer.Device.accessToken"}},
		{name: "resources provider refresh", call: call{method: "GET", path: "/security/resources?refresh=1&source=" + plextest.ProviderSource, token: plextest.AdminToken},
			status: 200, ctype: "application/json",
			fields:    map[string]any{"MediaContainer.Device.clientIdentifier": plextest.ProviderID},
			transient: []string{"MediaContainer.Device.accessToken"}},
		{name: "resources unknown source", call: call{method: "GET", path: "/security/resources?source=server://ffff", token: plextest.AdminToken}, status: 404, ctype: "text/html"},
		{name: "resources bad refresh", call: call{method: "GET", path: "/security/resources?refresh=2&source=" + plextest.ServerSource, token: plextest.AdminToken}, status: 400, ctype: "text/html"},
		{name: "resources no source", call: call{method: "GET", path: "/security/resources", token: plextest.AdminToken}, status: 400, ctype: "text/html"},
		{name: "resources user token", call: call{method: "GET", path: "/security/resources?source=" + plextest.ServerSource, token: plextest.UserToken}, status: 403, ctype: "text/html"},
		{name: "resources POST", call: call{method: "POST", path: "/security/resources?source=" + plextest.ServerSource, token: plextest.AdminToken}, status: 405, ctype: "text/plain"},

		{name: "user alice", call: call{method: "GET", path: "/api/v2/user", token: plextest.UserToken}, status: 200, ctype: "application/json",
			fields: map[string]any{"username": plextest.UserLogin, "email": plextest.UserEmail, "authToken": plextest.UserToken,
				"twoFactorEnabled": false, "subscription.active": false, "id": 1002.0}},
		{name: "user bob", call: call{method: "GET", path: "/api/v2/user", token: plextest.TwoFactorToken}, status: 200, ctype: "application/json",
			fields: map[string]any{"username": plextest.TwoFactorLogin, "twoFactorEnabled": true, "subscription.status": "Active"}},
		{name: "user admin", call: call{method: "GET", path: "/api/v2/user", token: plextest.AdminToken}, status: 200, ctype: "application/json",
			fields: map[string]any{"username": plextest.AdminLogin, "authToken": plextest.AdminToken, "homeAdmin": true}},
		{name: "user bad token", call: call{method: "GET", path: "/api/v2/user", token: "nope"}, status: 401, ctype: "application/json", code: 1001},
		{name: "user no token", call: call{method: "GET", path: "/api/v2/user"}, status: 401, ctype: "application/json", code: 1001},
		{name: "user no client id", call: call{method: "GET", path: "/api/v2/user", token: plextest.UserToken, noClientID: true},
			status: 400, ctype: "application/json", code: 1000,
			fields: map[string]any{"errors.0.message": "X-Plex-Client-Identifier is missing", "errors.0.status": 400.0}},

		{name: "signin username", call: call{method: "POST", path: "/api/v2/users/signin", form: signinForm(plextest.UserLogin, plextest.UserPassword, "")},
			status: 201, ctype: "application/json",
			fields: map[string]any{"authToken": plextest.UserToken, "username": plextest.UserLogin, "pastSubscriptions": []any{}, "trials": []any{}}},
		{name: "signin email any case", call: call{method: "POST", path: "/api/v2/users/signin", form: signinForm(strings.ToUpper(plextest.UserEmail), plextest.UserPassword, "")},
			status: 201, ctype: "application/json", fields: map[string]any{"authToken": plextest.UserToken}},
		{name: "signin wrong password", call: call{method: "POST", path: "/api/v2/users/signin", form: signinForm(plextest.UserLogin, "wrong", "")},
			status: 401, ctype: "application/json", code: 1001},
		{name: "signin unknown login", call: call{method: "POST", path: "/api/v2/users/signin", form: signinForm("carol", plextest.UserPassword, "")},
			status: 401, ctype: "application/json", code: 1001},
		{name: "signin admin cannot", call: call{method: "POST", path: "/api/v2/users/signin", form: signinForm(plextest.AdminLogin, "", "")},
			status: 401, ctype: "application/json", code: 1001},
		{name: "signin GET", call: call{method: "GET", path: "/api/v2/users/signin"}, status: 405, ctype: "text/plain"},

		{name: "warm-up GET", call: call{method: "GET", path: "/", noClientID: true}, status: 200},
		{name: "warm-up HEAD", call: call{method: "HEAD", path: "/", noClientID: true}, status: 200},
		{name: "root POST", call: call{method: "POST", path: "/"}, status: 405, ctype: "text/plain"},
		{name: "unknown path", call: call{method: "GET", path: "/library/sections", token: plextest.AdminToken}, status: 404, ctype: "text/plain"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv.Reset() // the failed sign-ins above must not block the ones below
			got := do(t, srv, tt.call)
			if got.status != tt.status {
				t.Fatalf("status = %d, want %d; body %s", got.status, tt.status, got.body)
			}
			if ct := got.header.Get("Content-Type"); !strings.HasPrefix(ct, tt.ctype) {
				t.Errorf("Content-Type = %q, want %q", ct, tt.ctype)
			}
			if tt.code != 0 {
				if c := field(t, got.body, "errors.0.code"); c != float64(tt.code) {
					t.Errorf("code = %v, want %d; body %s", c, tt.code, got.body)
				}
			}
			for path, want := range tt.fields {
				if v := field(t, got.body, path); fmt.Sprint(v) != fmt.Sprint(want) {
					t.Errorf("%s = %#v, want %#v", path, v, want)
				}
			}
			for _, path := range tt.transient {
				tok, _ := field(t, got.body, path).(string)
				if !strings.HasPrefix(tok, "transient-") || len(tok) != len("transient-")+32 {
					t.Errorf("%s = %q, want transient-<32 hex>", path, tok)
				}
			}
		})
	}
}

// TestTransientTokens: a token the server issued opens the server routes
// afterwards (not plex.tv's), and so does a source's access token.
func TestTransientTokens(t *testing.T) {
	srv := plextest.NewServer()
	defer srv.Close()

	issued := field(t, do(t, srv, call{method: "POST", path: transientPath, token: plextest.AdminToken}).body, "MediaContainer.token").(string)
	chained := field(t, do(t, srv, call{method: "POST", path: transientPath, token: issued}).body, "MediaContainer.token").(string)
	access := field(t, do(t, srv, call{method: "GET", path: "/security/resources?source=" + plextest.ServerSource, token: issued}).body,
		"MediaContainer.Device.accessToken").(string)

	tests := []struct {
		name   string
		token  string
		path   string
		status int
	}{
		{"issued opens resources", issued, "/security/resources?source=" + plextest.ProviderSource, 200},
		{"chained opens token", chained, transientPath, 200},
		{"source access token opens resources", access, "/security/resources?source=" + plextest.ServerSource, 200},
		{"unissued refused", "transient-00000000000000000000000000000000", transientPath, 403},
		{"not for plex.tv", issued, "/api/v2/user", 401},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			method := "GET"
			if tt.path == transientPath {
				method = "POST"
			}
			if got := do(t, srv, call{method: method, path: tt.path, token: tt.token}); got.status != tt.status {
				t.Errorf("status = %d, want %d", got.status, tt.status)
			}
		})
	}
	if issued == chained || issued == access {
		t.Error("transient tokens repeat")
	}
}

// TestSetAdminToken: after a rotation the old admin token is refused
// everywhere, the new one accepted, and transient tokens live on.
func TestSetAdminToken(t *testing.T) {
	srv := plextest.NewServer()
	defer srv.Close()
	issued := field(t, do(t, srv, call{method: "POST", path: transientPath, token: plextest.AdminToken}).body, "MediaContainer.token").(string)
	const rotated = "sim-admin-token-0002"
	srv.SetAdminToken(rotated)

	tests := []struct {
		name, method, path, token string
		status                    int
	}{
		{"old token, server", "POST", transientPath, plextest.AdminToken, 403},
		{"old token, plex.tv", "GET", "/api/v2/user", plextest.AdminToken, 401},
		{"new token, server", "POST", transientPath, rotated, 200},
		{"new token, plex.tv", "GET", "/api/v2/user", rotated, 200},
		{"transient from old token", "POST", transientPath, issued, 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := do(t, srv, call{method: tt.method, path: tt.path, token: tt.token})
			if got.status != tt.status {
				t.Fatalf("status = %d, want %d", got.status, tt.status)
			}
			if tt.path == "/api/v2/user" && tt.status == 200 {
				if tok := field(t, got.body, "authToken"); tok != rotated {
					t.Errorf("authToken = %v, want the rotated token", tok)
				}
			}
		})
	}
}

func TestTwoFactorSignIn(t *testing.T) {
	srv := plextest.NewServer()
	defer srv.Close()
	tests := []struct {
		name            string
		login, pw, code string
		status, pcode   int
	}{
		{"no code", plextest.TwoFactorLogin, plextest.TwoFactorPassword, "", 401, 1029},
		{"wrong code", plextest.TwoFactorLogin, plextest.TwoFactorPassword, "000000", 401, 1028},
		{"wrong password, right code", plextest.TwoFactorLogin, "nope", plextest.TwoFactorCode, 401, 1001},
		{"right code", plextest.TwoFactorLogin, plextest.TwoFactorPassword, plextest.TwoFactorCode, 201, 0},
		{"by email", plextest.TwoFactorEmail, plextest.TwoFactorPassword, plextest.TwoFactorCode, 201, 0},
		{"code appended to password", plextest.TwoFactorLogin, plextest.TwoFactorPassword + plextest.TwoFactorCode, "", 201, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := do(t, srv, call{method: "POST", path: "/api/v2/users/signin", form: signinForm(tt.login, tt.pw, tt.code)})
			if got.status != tt.status {
				t.Fatalf("status = %d, want %d; body %s", got.status, tt.status, got.body)
			}
			if tt.pcode != 0 {
				if c := field(t, got.body, "errors.0.code"); c != float64(tt.pcode) {
					t.Errorf("code = %v, want %d", c, tt.pcode)
				}
				return
			}
			if tok := field(t, got.body, "authToken"); tok != plextest.TwoFactorToken {
				t.Errorf("authToken = %v, want bob's", tok)
			}
		})
	}
}

// TestIPBlocking drives the handler directly so that requests can come from
// chosen remote addresses.
func TestIPBlocking(t *testing.T) {
	sim := plextest.New()
	signin := func(ip, password string) (int, string) {
		req := call{method: "POST", path: "/api/v2/users/signin", form: signinForm(plextest.UserLogin, password, "")}.request(t, "http://sim")
		req.RemoteAddr = ip + ":40000"
		rec := httptest.NewRecorder()
		sim.ServeHTTP(rec, req)
		code := ""
		if rec.Code != 201 {
			code = fmt.Sprint(field(t, rec.Body.Bytes(), "errors.0.code"))
		}
		return rec.Code, code
	}
	const bad, other = "192.0.2.1", "192.0.2.2"
	type step struct {
		name   string
		reset  bool
		ip, pw string
		status int
		code   string
	}
	steps := []step{
		{name: "failure 1", ip: bad, pw: "x", status: 401, code: "1001"},
		{name: "failure 2", ip: bad, pw: "x", status: 401, code: "1001"},
		{name: "a success clears the count", ip: bad, pw: plextest.UserPassword, status: 201},
	}
	for i := range plextest.MaxFailedSignIns {
		steps = append(steps, step{name: fmt.Sprintf("failure %d of %d", i+1, plextest.MaxFailedSignIns), ip: bad, pw: "x", status: 401, code: "1001"})
	}
	steps = append(steps,
		step{name: "blocked even with the right password", ip: bad, pw: plextest.UserPassword, status: 401, code: "1031"},
		step{name: "still blocked", ip: bad, pw: "x", status: 401, code: "1031"},
		step{name: "another IP is not", ip: other, pw: plextest.UserPassword, status: 201},
		step{name: "Reset unblocks", reset: true, ip: bad, pw: plextest.UserPassword, status: 201},
	)
	for _, st := range steps {
		if st.reset {
			sim.Reset()
		}
		status, code := signin(st.ip, st.pw)
		if status != st.status || code != st.code {
			t.Errorf("%s: got %d %s, want %d %s", st.name, status, code, st.status, st.code)
		}
	}
}

func TestRecording(t *testing.T) {
	srv := plextest.NewServer()
	defer srv.Close()
	do(t, srv, call{method: "POST", path: transientPath, token: plextest.AdminToken})
	do(t, srv, call{method: "POST", path: "/api/v2/users/signin", form: signinForm(plextest.UserLogin, plextest.UserPassword, "")})
	do(t, srv, call{method: "GET", path: "/api/v2/user", token: plextest.UserToken})
	do(t, srv, call{method: "GET", path: "/api/v2/user", token: plextest.UserToken})
	do(t, srv, call{method: "HEAD", path: "/"})

	reqs := srv.Requests()
	if len(reqs) != 5 {
		t.Fatalf("recorded %d requests, want 5", len(reqs))
	}
	checks := []struct {
		name string
		got  any
		want any
	}{
		{"0 method", reqs[0].Method, "POST"},
		{"0 path", reqs[0].Path, string(plextest.RouteTransient)},
		{"0 query", reqs[0].Query.Encode(), "scope=all&type=delegation"},
		{"0 token header", reqs[0].Header.Get("X-Plex-Token"), plextest.AdminToken},
		{"0 client id", reqs[0].Header.Get("X-Plex-Client-Identifier"), clientID},
		{"0 no form", reqs[0].Form == nil, true},
		{"1 form login", reqs[1].Form.Get("login"), plextest.UserLogin},
		{"1 content type", reqs[1].Header.Get("Content-Type"), "application/x-www-form-urlencoded"},
		{"4 warm-up path", reqs[4].Path, "/"},
		{"count transient", srv.Count(plextest.RouteTransient), 1},
		{"count signin", srv.Count(plextest.RouteSignIn), 1},
		{"count user", srv.Count(plextest.RouteUser), 2},
		{"count resources", srv.Count(plextest.RouteResources), 0},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}

	// Requests hands out copies.
	reqs[0].Header.Set("X-Plex-Token", "changed")
	reqs[1].Form.Set("login", "changed")
	if again := srv.Requests(); again[0].Header.Get("X-Plex-Token") != plextest.AdminToken || again[1].Form.Get("login") != plextest.UserLogin {
		t.Error("changing a returned Request changed the record")
	}

	srv.Reset()
	if n := len(srv.Requests()); n != 0 || srv.Count(plextest.RouteUser) != 0 {
		t.Errorf("after Reset: %d requests recorded", n)
	}
}

// TestConcurrentUse is for the race detector.
func TestConcurrentUse(t *testing.T) {
	srv := plextest.NewServer()
	defer srv.Close()
	send := func(c call) error {
		resp, err := srv.Client().Do(c.request(t, srv.URL))
		if err != nil {
			return err
		}
		_, err = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return err
	}
	errs := make(chan error, 8)
	for i := range 8 {
		go func() {
			var err error
			for range 10 {
				switch i % 4 {
				case 0:
					err = errors.Join(err, send(call{method: "POST", path: transientPath, token: plextest.AdminToken}))
				case 1:
					err = errors.Join(err, send(call{method: "POST", path: "/api/v2/users/signin", form: signinForm(plextest.UserLogin, "x", "")}))
				case 2:
					srv.SetFault(plextest.RouteUser, plextest.Fault{Status: 503, Times: 1})
					err = errors.Join(err, send(call{method: "GET", path: "/api/v2/user", token: plextest.UserToken}))
				case 3:
					_ = srv.Requests()
					_ = srv.Count(plextest.RouteUser)
					srv.SetAdminToken(plextest.AdminToken)
					srv.ClearFaults()
				}
			}
			errs <- err
		}()
	}
	for range 8 {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
	if n := srv.Count(plextest.RouteTransient); n != 20 {
		t.Errorf("transient count = %d, want 20", n)
	}
}
