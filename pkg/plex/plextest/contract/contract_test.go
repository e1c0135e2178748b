package contract_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/plexauth/plexauth/pkg/plex/plextest"
	"github.com/plexauth/plexauth/pkg/plex/plextest/contract"
)

const transientPath = "/security/token?type=delegation&scope=all"

func newRequest(t *testing.T, base, method, path, token string, form url.Values) (*http.Request, []byte) {
	t.Helper()
	var body []byte
	if form != nil {
		body = []byte(form.Encode())
	}
	req, err := http.NewRequest(method, base+path, strings.NewReader(string(body)))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("X-Plex-Client-Identifier", "contract-test")
	if token != "" {
		req.Header.Set("X-Plex-Token", token)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	return req, body
}

// exchange asks the simulator and returns the request and its answer.
func exchange(t *testing.T, srv *plextest.Server, method, path, token string, form url.Values) (*http.Request, *http.Response, []byte) {
	t.Helper()
	req, _ := newRequest(t, srv.URL, method, path, token, form)
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return req, resp, b
}

// edit decodes a JSON body, lets change alter it, and encodes it again.
func edit(t *testing.T, body []byte, change func(m map[string]any)) []byte {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(body, &m); err != nil {
		t.Fatal(err)
	}
	change(m)
	out, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func obj(m map[string]any, path ...string) map[string]any {
	for _, k := range path {
		switch v := m[k].(type) {
		case map[string]any:
			m = v
		case []any:
			m = v[0].(map[string]any)
		}
	}
	return m
}

// TestCheckResponseRejects proves the checks bite: a body the simulator gives
// passes, and the same body with a required field gone or a wrong type fails.
func TestCheckResponseRejects(t *testing.T) {
	srv := plextest.NewServer()
	defer srv.Close()
	v := contract.Load(t, srv.URL)

	tokReq, tokResp, tokBody := exchange(t, srv, "POST", transientPath, plextest.AdminToken, nil)
	resReq, resResp, resBody := exchange(t, srv, "GET", "/security/resources?source="+plextest.ServerSource, plextest.AdminToken, nil)
	userReq, userResp, userBody := exchange(t, srv, "GET", "/api/v2/user", plextest.UserToken, nil)
	inReq, inResp, inBody := exchange(t, srv, "POST", "/api/v2/users/signin", "",
		url.Values{"login": {plextest.UserLogin}, "password": {plextest.UserPassword}})
	badReq, badResp, badBody := exchange(t, srv, "GET", "/api/v2/user", "nope", nil)
	jsonCT := http.Header{"Content-Type": {"application/json"}}

	tests := []struct {
		name   string
		req    *http.Request
		status int
		header http.Header
		body   []byte
		ok     bool
	}{
		{"transient as served", tokReq, tokResp.StatusCode, tokResp.Header, tokBody, true},
		{"transient token a number", tokReq, 200, jsonCT, edit(t, tokBody, func(m map[string]any) { obj(m, "MediaContainer")["token"] = 5 }), false},
		{"resources as served", resReq, resResp.StatusCode, resResp.Header, resBody, true},
		{"resources port a string", resReq, 200, jsonCT, edit(t, resBody, func(m map[string]any) {
			obj(m, "MediaContainer", "Device", "Connection")["port"] = "32400"
		}), false},
		{"resources local as 0/1", resReq, 200, jsonCT, edit(t, resBody, func(m map[string]any) {
			obj(m, "MediaContainer", "Device", "Connection")["local"] = 1
		}), false},
		{"user as served", userReq, userResp.StatusCode, userResp.Header, userBody, true},
		{"user without authToken", userReq, 200, jsonCT, edit(t, userBody, func(m map[string]any) { delete(m, "authToken") }), false},
		{"user without uuid", userReq, 200, jsonCT, edit(t, userBody, func(m map[string]any) { delete(m, "uuid") }), false},
		{"user id a string", userReq, 200, jsonCT, edit(t, userBody, func(m map[string]any) { m["id"] = "1002" }), false},
		{"user joinedAt a date", userReq, 200, jsonCT, edit(t, userBody, func(m map[string]any) { m["joinedAt"] = "2020-09-13" }), false},
		{"user twoFactorEnabled a string", userReq, 200, jsonCT, edit(t, userBody, func(m map[string]any) { m["twoFactorEnabled"] = "false" }), false},
		{"user country too long", userReq, 200, jsonCT, edit(t, userBody, func(m map[string]any) { m["country"] = "USA" }), false},
		{"user as XML", userReq, 200, http.Header{"Content-Type": {"application/xml"}}, []byte(`<user id="1"/>`), false},
		{"user not JSON", userReq, 200, jsonCT, []byte(`<html></html>`), false},
		{"signin as served", inReq, inResp.StatusCode, inResp.Header, inBody, true},
		{"signin without trials", inReq, 201, jsonCT, edit(t, inBody, func(m map[string]any) { delete(m, "trials") }), false},
		{"signin without pastSubscriptions", inReq, 201, jsonCT, edit(t, inBody, func(m map[string]any) { delete(m, "pastSubscriptions") }), false},
		{"signin bad pastSubscription", inReq, 201, jsonCT, edit(t, inBody, func(m map[string]any) { m["pastSubscriptions"] = []any{map[string]any{"id": "x"}} }), false},
		{"error as served", badReq, badResp.StatusCode, badResp.Header, badBody, true},
		{"error code a string", badReq, 401, jsonCT, edit(t, badBody, func(m map[string]any) { obj(m, "errors")["code"] = "1001" }), false},
		{"error status a string", badReq, 401, jsonCT, edit(t, badBody, func(m map[string]any) { obj(m, "errors")["status"] = "401" }), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := v.CheckResponse(tt.req, tt.status, tt.header, tt.body)
			if tt.ok != (err == nil) {
				t.Errorf("CheckResponse = %v, want ok %v", err, tt.ok)
			}
		})
	}

	if err := v.CheckResponse(userReq, 429, jsonCT, nil); !errors.Is(err, contract.ErrUndeclaredStatus) {
		t.Errorf("undeclared status: %v, want ErrUndeclaredStatus", err)
	}
}

func TestCheckRequestRejects(t *testing.T) {
	v := contract.Load(t, "http://127.0.0.1:32400")
	base := "http://127.0.0.1:32400"
	signin := url.Values{"login": {plextest.UserLogin}, "password": {plextest.UserPassword}}
	tests := []struct {
		name         string
		method, path string
		token        string
		form         url.Values
		change       func(r *http.Request)
		ok           bool
	}{
		{name: "transient", method: "POST", path: transientPath, token: "t", ok: true},
		{name: "transient as GET (older spec)", method: "GET", path: transientPath, token: "t"},
		{name: "transient without token", method: "POST", path: transientPath},
		{name: "transient wrong type", method: "POST", path: "/security/token?type=shared&scope=all", token: "t"},
		{name: "transient no scope", method: "POST", path: "/security/token?type=delegation", token: "t"},
		{name: "transient no client id", method: "POST", path: transientPath, token: "t", change: func(r *http.Request) { r.Header.Del("X-Plex-Client-Identifier") }},
		{name: "resources", method: "GET", path: "/security/resources?source=server://x&refresh=1", token: "t", ok: true},
		{name: "resources no source", method: "GET", path: "/security/resources", token: "t"},
		{name: "resources refresh true", method: "GET", path: "/security/resources?source=server://x&refresh=true", token: "t"},
		{name: "user", method: "GET", path: "/api/v2/user", token: "t", ok: true},
		{name: "user without token", method: "GET", path: "/api/v2/user"},
		{name: "user at the server root (no /api/v2)", method: "GET", path: "/user", token: "t"},
		{name: "signin", method: "POST", path: "/api/v2/users/signin", form: signin, ok: true},
		{name: "signin with code and rememberMe", method: "POST", path: "/api/v2/users/signin",
			form: url.Values{"login": {"bob"}, "password": {"p"}, "verificationCode": {"123456"}, "rememberMe": {"true"}}, ok: true},
		{name: "signin without password", method: "POST", path: "/api/v2/users/signin", form: url.Values{"login": {"alice"}}},
		{name: "signin rememberMe not boolean", method: "POST", path: "/api/v2/users/signin",
			form: url.Values{"login": {"a"}, "password": {"p"}, "rememberMe": {"maybe"}}},
		{name: "signin as GET", method: "GET", path: "/api/v2/users/signin"},
		{name: "unknown path", method: "GET", path: "/no/such/path", token: "t"},
		{name: "another server", method: "GET", path: "/api/v2/user", token: "t", change: func(r *http.Request) { r.URL.Host = "127.0.0.1:1" }},
		{name: "HEAD passes unchecked", method: "HEAD", path: "/", ok: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, body := newRequest(t, base, tt.method, tt.path, tt.token, tt.form)
			if tt.change != nil {
				tt.change(req)
			}
			err := v.CheckRequest(req, body)
			if tt.ok != (err == nil) {
				t.Errorf("CheckRequest = %v, want ok %v", err, tt.ok)
			}
		})
	}
}

// recorder is a testing.TB that keeps what the Validator reports.
type recorder struct {
	testing.TB
	mu         sync.Mutex
	errs, logs []string
}

func (r *recorder) Helper() {}
func (r *recorder) Errorf(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.errs = append(r.errs, fmt.Sprintf(format, args...))
}
func (r *recorder) Logf(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.logs = append(r.logs, fmt.Sprintf(format, args...))
}

// TestTransport: wrapped around a client's transport it checks every
// exchange, hands bodies on unchanged, and reports a broken answer.
func TestTransport(t *testing.T) {
	srv := plextest.NewServer()
	defer srv.Close()

	t.Run("simulator passes", func(t *testing.T) {
		v := contract.Load(t, srv.URL)
		rec := &recorder{TB: t}
		hc := &http.Client{Transport: v.Transport(rec, srv.Client().Transport)}
		calls := []struct {
			method, path, token string
			form                url.Values
			status              int
		}{
			{"HEAD", "/", "", nil, 200},
			{"POST", transientPath, plextest.AdminToken, nil, 200},
			{"GET", "/security/resources?source=" + plextest.ProviderSource, plextest.AdminToken, nil, 200},
			{"GET", "/security/resources?source=server://ffff", plextest.AdminToken, nil, 404},
			{"GET", "/api/v2/user", plextest.TwoFactorToken, nil, 200},
			{"POST", "/api/v2/users/signin", "", url.Values{"login": {plextest.UserLogin}, "password": {plextest.UserPassword}}, 201},
		}
		for _, c := range calls {
			req, _ := newRequest(t, srv.URL, c.method, c.path, c.token, c.form)
			resp, err := hc.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != c.status || (c.method != "HEAD" && len(b) == 0) {
				t.Errorf("%s %s: %d, %d bytes", c.method, c.path, resp.StatusCode, len(b))
			}
		}
		if len(rec.errs) != 0 {
			t.Errorf("reported: %q", rec.errs)
		}
		if len(rec.logs) != 1 || !strings.Contains(rec.logs[0], "404") {
			t.Errorf("logs = %q, want one about the undeclared 404", rec.logs)
		}
		if got := v.Checked(); got != 4 {
			t.Errorf("Checked = %d, want 4", got)
		}
		if f := srv.Requests()[len(srv.Requests())-1].Form; f.Get("login") != plextest.UserLogin {
			t.Errorf("the sign-in form did not reach the server: %v", f)
		}
	})

	t.Run("broken answer is reported", func(t *testing.T) {
		broken := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			io.WriteString(w, `{"id":"one","username":"alice"}`)
		}))
		defer broken.Close()
		v := contract.Load(t, broken.URL)
		rec := &recorder{TB: t}
		hc := &http.Client{Transport: v.Transport(rec, nil)}
		req, _ := newRequest(t, broken.URL, "GET", "/api/v2/user", "tok", nil)
		resp, err := hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if string(b) != `{"id":"one","username":"alice"}` {
			t.Errorf("body changed: %s", b)
		}
		if len(rec.errs) != 1 || !strings.Contains(rec.errs[0], "response breaks the spec") {
			t.Errorf("errs = %q, want one response error", rec.errs)
		}
	})

	t.Run("broken stream passes through", func(t *testing.T) {
		v := contract.Load(t, srv.URL)
		srv.SetFault(plextest.RouteUser, plextest.Fault{Truncate: true, Times: 1})
		rec := &recorder{TB: t}
		hc := &http.Client{Transport: v.Transport(rec, srv.Client().Transport)}
		req, _ := newRequest(t, srv.URL, "GET", "/api/v2/user", plextest.UserToken, nil)
		resp, err := hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_, err = io.ReadAll(resp.Body)
		resp.Body.Close()
		if !errors.Is(err, io.ErrUnexpectedEOF) || len(rec.errs) != 0 {
			t.Errorf("read error %v, reported %q; want unexpected EOF, nothing reported", err, rec.errs)
		}
	})
}

// TestLoadSkipsWithoutSpec: in a module with no spec beside it, Load skips.
func TestLoadSkipsWithoutSpec(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module example.com/x\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	reached := false
	t.Run("absent", func(t *testing.T) {
		t.Chdir(dir)
		contract.Load(t, "http://127.0.0.1:1")
		reached = true
	})
	if reached {
		t.Error("Load went on without the spec")
	}
}

// TestSpecPresentInCI: Load skips when the spec is absent, whatever CI says,
// so TestContract and the conformance tests would pass having checked
// nothing. In CI (CI set and non-empty) a missing spec is a failure.
func TestSpecPresentInCI(t *testing.T) {
	path, err := contract.SpecPath()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("Plex OpenAPI spec not readable at %s (required when CI is set): %v", path, err)
		}
		t.Skipf("Plex OpenAPI spec not found at %s: contract checks are skipped (set CI to make this a failure)", path)
	}
}
