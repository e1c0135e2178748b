package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"github.com/plexauth/plexauth/internal/api"
	"github.com/plexauth/plexauth/internal/api/apitest"
	"github.com/plexauth/plexauth/internal/endpoint"
	"github.com/plexauth/plexauth/internal/secret/secrettest"
	"github.com/plexauth/plexauth/pkg/plex/plextest"
)

// TestPrintedCurlLines runs each printed curl line, as printed.
func TestPrintedCurlLines(t *testing.T) {
	s := startRun(t)
	if s.key == "" || !strings.HasPrefix(s.base, "http://127.0.0.1:") || strings.HasSuffix(s.base, ":0") {
		t.Fatalf("printed address %q key %q", s.base, s.key)
	}
	// shape checks the answer of each route.
	shape := map[string]func(map[string]any) bool{
		"/transient-token": func(b map[string]any) bool { return strings.HasPrefix(str(b["token"]), "transient-") },
		"/sources": func(b map[string]any) bool {
			d, _ := b["device"].(map[string]any)
			return d != nil && d["clientIdentifier"] == plextest.ServerID && strings.HasPrefix(str(d["accessToken"]), "transient-")
		},
		"/token-details": func(b map[string]any) bool {
			u, _ := b["user"].(map[string]any)
			return b["valid"] == true && u != nil && u["username"] == plextest.AdminLogin
		},
		"/signin": func(b map[string]any) bool { return b["authToken"] == plextest.UserToken },
		"/servers": func(b map[string]any) bool {
			l, _ := b["servers"].([]any)
			for _, v := range l {
				if m, _ := v.(map[string]any); m["clientIdentifier"] == plextest.ServerID {
					return m["owned"] == true && m["accessToken"] == nil // not asked for
				}
			}
			return false
		},
		"/pins":      func(b map[string]any) bool { return str(b["id"]) != "" && str(b["code"]) != "" },
		"/pins/{id}": nil, // the walk-through's poll, TestPinWalkthrough
	}
	created := map[string]bool{"/pins": true} // answered 201
	for _, r := range endpoint.All {          // the gateway serves every declared route
		if _, ok := shape[r.Path]; !ok {
			t.Errorf("declared route %s has no curl line checked here", r.Path)
		}
	}
	if len(s.curls) != len(shape)-1 {
		t.Fatalf("printed %d curl lines, want %d:\n%s", len(s.curls), len(shape)-1, strings.Join(s.curls, "\n"))
	}
	for _, line := range s.curls {
		r, err := curlRequest(line)
		if err != nil {
			t.Fatal(err)
		}
		t.Run(r.URL.Path, func(t *testing.T) {
			status, header, body := do(t, r)
			if want := map[bool]int{false: 200, true: 201}[created[r.URL.Path]]; status != want || !shape[r.URL.Path](body) {
				t.Errorf("%s: %d %v", line, status, body)
			}
			if header.Get("Cache-Control") != "no-store" {
				t.Errorf("Cache-Control = %q", header.Get("Cache-Control"))
			}
		})
	}
	// The keep-alive ran once at start against the same simulator and secret.
	if want := fmt.Sprintf("token valid, server reachable (machine id %s, version %s)", plextest.ServerID, plextest.ServerVersion); s.ka != want {
		t.Errorf("keep-alive line %q, want %q", s.ka, want)
	}
	if n := strings.Count(s.logs.String(), `"message":"keepalive"`); n != 1 {
		t.Errorf("%d keep-alive lines in the logs, want 1", n)
	}
	// One log line per request, carrying the Lambda request id, never the key.
	logs := s.logs.String()
	if n := strings.Count(logs, `"message":"request"`); n != len(s.curls) || !strings.Contains(logs, `"requestId":"`) {
		t.Errorf("%d request log lines, want %d with request ids:\n%s", n, len(s.curls), logs)
	}
	if strings.Contains(logs, s.key) {
		t.Error("a log line holds the caller key")
	}
}

// TestPinWalkthrough follows the printed PIN steps as printed: create, the
// approval link, then the poll, authorized (pending is the handler tests').
func TestPinWalkthrough(t *testing.T) {
	s := startRun(t)
	var create string
	for _, c := range s.curls {
		if strings.Contains(c, "/pins'") {
			create = c
		}
	}
	if create == "" || len(s.steps) != 2 {
		t.Fatalf("create line %q, steps %q: want a create line and two steps (approve, poll)", create, s.steps)
	}
	r, err := curlRequest(create)
	if err != nil {
		t.Fatal(err)
	}
	status, _, pin := do(t, r)
	if status != 201 {
		t.Fatalf("create: %d %v", status, pin)
	}
	fill := func(line string) *http.Request {
		r, err := curlRequest(strings.NewReplacer("<code>", str(pin["code"]), "<id>", str(pin["id"])).Replace(line))
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	approve, poll := s.steps[0], s.steps[1]
	resp, err := http.DefaultClient.Do(fill(approve))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("approve: %d", resp.StatusCode)
	}
	status, _, b := do(t, fill(poll))
	u, _ := b["user"].(map[string]any)
	if status != 200 || b["status"] != "authorized" || str(b["authToken"]) == "" || u["username"] != plextest.UserLogin {
		t.Fatalf("poll after approval: %d %v", status, b)
	}
	if strings.Contains(s.logs.String(), str(b["authToken"])) {
		t.Error("a log line holds the PIN's token")
	}
}

// TestGateway covers what API Gateway decides and what the event carries.
func TestGateway(t *testing.T) {
	const key = "local-dev-key-change-me"
	s := startRun(t, "-key", key, "-timeout", "3s")
	if s.key != key {
		t.Fatalf("printed key %q, want the -key value", s.key)
	}
	tests := []struct {
		name        string
		method      string
		path        string
		contentType string
		body        []byte
		noKey       bool
		status      int
		code        string // error.code of the handler's envelope
		message     string // API Gateway's own {"message"}
		allow       string // the Allow header of a 405
	}{
		{name: "no key", method: "POST", path: "/transient-token", noKey: true, status: 401, code: "unauthorized"},
		{name: "unknown path", method: "GET", path: "/nope", status: 404, message: "Not Found"},
		{name: "unknown path without a key", method: "POST", path: "/nope", noKey: true, status: 404, message: "Not Found"},
		// Every route is ANY <path>: the function answers a wrong method.
		{name: "wrong method", method: "GET", path: "/transient-token", status: 405, code: "method_not_allowed", allow: "POST"},
		{name: "wrong method on a two-method route", method: "DELETE", path: "/sources", status: 405, code: "method_not_allowed", allow: "GET, POST"},
		{name: "wrong method without a key", method: "PUT", path: "/signin", noKey: true, status: 405, code: "method_not_allowed", allow: "POST"},
		{name: "trailing slash", method: "GET", path: "/sources/", status: 404, message: "Not Found"},
		{name: "binary body reaches the handler", method: "POST", path: "/signin", contentType: "application/octet-stream",
			body: []byte{0, 1, 2, 0xff}, status: 415, code: "unsupported_media_type"},
		{name: "form body via base64", method: "POST", path: "/signin", contentType: "application/x-www-form-urlencoded",
			body: []byte("login=" + plextest.UserLogin + "&password=" + plextest.UserPassword), status: 200},
		{name: "query reaches the handler", method: "GET", path: "/sources?source=server://" + plextest.ServerID + "&refresh=1", status: 200},
		{name: "too large for the handler", method: "POST", path: "/signin", contentType: "application/json",
			body: bytes.Repeat([]byte(" "), 17<<10), status: 413, code: "payload_too_large"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := http.NewRequest(tt.method, s.base+tt.path, bytes.NewReader(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			if !tt.noKey {
				r.Header.Set("Authorization", "Bearer "+key)
			}
			if tt.contentType != "" {
				r.Header.Set("Content-Type", tt.contentType)
			}
			status, header, body := do(t, r)
			checkAnswer(t, status, header, body, tt.status, tt.code, tt.message)
			if got := header.Get("Allow"); got != tt.allow {
				t.Errorf("Allow = %q, want %q", got, tt.allow)
			}
		})
	}
}

// checkAnswer checks what every answer of make run holds: the status, JSON
// with Cache-Control: no-store, and either the handler's envelope with code
// (and a request id) or exactly API Gateway's own {"message": message}.
func checkAnswer(t *testing.T, status int, header http.Header, body map[string]any, wantStatus int, code, message string) {
	t.Helper()
	if status != wantStatus {
		t.Errorf("status %d, want %d; body %v", status, wantStatus, body)
	}
	if header.Get("Cache-Control") != "no-store" || header.Get("Content-Type") != "application/json" {
		t.Errorf("Cache-Control %q, Content-Type %q; want no-store, application/json", header.Get("Cache-Control"), header.Get("Content-Type"))
	}
	errBody, _ := body["error"].(map[string]any)
	switch {
	case code != "" && (errBody == nil || errBody["code"] != code || errBody["requestId"] == "" || len(body) != 1):
		t.Errorf("body %v, want the envelope with code %q and a request id", body, code)
	case message != "" && (body["message"] != message || len(body) != 1):
		t.Errorf("body %v, want exactly {\"message\":%q}", body, message)
	}
}

// TestGatewayOwnAnswers covers the answers API Gateway gives before any
// function runs, which a client cannot provoke over a well-behaved
// connection: a body over API Gateway's limit and one that cannot be read.
func TestGatewayOwnAnswers(t *testing.T) {
	h := endpoint.SignIn.Handler(endpoint.Deps{}) // never reached
	g := newGateway([]*api.Handler{h}, time.Second, slog.New(slog.DiscardHandler))
	tests := []struct {
		name    string
		body    io.Reader
		status  int
		message string
	}{
		{"body over API Gateway's limit", bytes.NewReader(make([]byte, maxBody+1)), 413, "Request Entity Too Large"},
		{"body that cannot be read", iotest.ErrReader(errors.New("connection reset")), 400, "Bad Request"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := httptest.NewRecorder()
			g.ServeHTTP(w, httptest.NewRequest("POST", "/signin", tt.body))
			var body map[string]any
			if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil {
				t.Fatalf("body %q is not JSON", w.Body)
			}
			checkAnswer(t, w.Code, w.Result().Header, body, tt.status, "", tt.message)
		})
	}
}

// TestRunPlainHTTP: make run checks Plex URLs as the functions do: plain
// http to a LAN server needs the explicit opt-in.
func TestRunPlainHTTP(t *testing.T) {
	t.Setenv(EnvAdminToken, "admin-token-0001")
	args := []string{"-addr", "127.0.0.1:0", "-plex-server-url", "http://192.0.2.1:32400", "-plex-tv-url", "http://127.0.0.1:1"}
	err := run(t.Context(), args, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "PLEX_SERVER_URL") || !strings.Contains(err.Error(), "PLEX_ALLOW_HTTP=true") {
		t.Fatalf("run = %v, want an error naming PLEX_SERVER_URL and the PLEX_ALLOW_HTTP opt-in", err)
	}
	t.Setenv("PLEX_ALLOW_HTTP", "true")
	ctx, cancel := context.WithCancel(t.Context())
	cancel() // serve returns at once: only the settings are under test
	if err := run(ctx, args, io.Discard, io.Discard); err != nil {
		t.Errorf("with PLEX_ALLOW_HTTP=true: %v", err)
	}
}

func TestRunStopsOnCancel(t *testing.T) {
	s := startRun(t)
	s.cancel()
	if err := s.wait(); err != nil {
		t.Fatalf("run = %v, want nil after cancel", err)
	}
	if _, err := http.Get(s.base + "/token-details"); err == nil {
		t.Error("still serving after run returned")
	}
}

func TestFlags(t *testing.T) {
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	tests := []struct {
		name    string
		args    []string
		env     map[string]string
		wantErr string
		check   func(options) bool
	}{
		{name: "defaults", check: func(o options) bool {
			return o.addr == "127.0.0.1:3000" && o.simulated() && o.secretID == "" && o.timeout > 0 &&
				strings.HasPrefix(o.clientID, "plexauth-local-") && o.clientID == defaultClientID()
		}},
		{name: "environment", env: map[string]string{"PLEX_SERVER_URL": "http://192.0.2.1:32400", "PLEX_SECRET_ARN": "plexauth", "PLEX_CLIENT_IDENTIFIER": "id-1"},
			check: func(o options) bool {
				return !o.simulated() && o.serverURL == "http://192.0.2.1:32400" && o.secretID == "plexauth" && o.clientID == "id-1"
			}},
		{name: "flags over environment", args: []string{"-plex-tv-url", "http://192.0.2.2", "-secret-arn", "other"},
			env:   map[string]string{"PLEX_TV_URL": "http://192.0.2.1", "PLEX_SECRET_ARN": "plexauth"},
			check: func(o options) bool { return o.plexTVURL == "http://192.0.2.2" && o.secretID == "other" }},
		{name: "real plex, admin token from env", args: []string{"-plex-server-url", "http://192.0.2.1:32400"},
			env: map[string]string{EnvAdminToken: "tok"}, check: func(o options) bool { return o.adminToken == "tok" }},
		{name: "real plex without a secret", args: []string{"-plex-server-url", "http://192.0.2.1:32400"}, wantErr: EnvAdminToken},
		{name: "key with a real secret", args: []string{"-secret-arn", "plexauth", "-key", "k"}, wantErr: "-key"},
		{name: "zero timeout", args: []string{"-timeout", "0s"}, wantErr: "-timeout"},
		{name: "stray argument", args: []string{"extra"}, wantErr: "unexpected"},
		{name: "unknown flag", args: []string{"-nope"}, wantErr: "not defined"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o, err := parseFlags(tt.args, env(tt.env), io.Discard)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error = %v, want one mentioning %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || !tt.check(o) {
				t.Fatalf("parseFlags = %+v, %v", o, err)
			}
		})
	}
	if _, err := parseFlags([]string{"-h"}, env(nil), io.Discard); !errors.Is(err, flag.ErrHelp) {
		t.Errorf("-h: %v, want flag.ErrHelp", err)
	}
}

func str(v any) string { s, _ := v.(string); return s }

// TestSecretsManager reads the callers from a real secret through the AWS
// SDK, pointed at a local Secrets Manager stand-in.
func TestSecretsManager(t *testing.T) {
	const key = "sm-caller-key-0001"
	sm := secrettest.NewServer(t)
	secrettest.SetEnv(t, sm.URL)
	arn := sm.Put("plexauth", apitest.SecretJSONWith(plextest.AdminToken, apitest.Caller{Name: "ci", Key: key}))

	s := startRun(t, "-secret-arn", arn)
	if s.key != "" || len(s.curls) == 0 || !strings.Contains(s.curls[0], "<caller-key>") {
		t.Fatalf("with a real secret the key must be a placeholder: key %q, lines %q", s.key, s.curls)
	}
	for _, line := range s.curls {
		r, err := curlRequest(strings.ReplaceAll(line, "<caller-key>", key))
		if err != nil {
			t.Fatal(err)
		}
		if status, _, body := do(t, r); status != 200 && status != 201 { // 201: POST /pins
			t.Errorf("%s: %d %v", r.URL.Path, status, body)
		}
	}
	if sm.Calls() == 0 {
		t.Error("the secret was not read from Secrets Manager")
	}
}
