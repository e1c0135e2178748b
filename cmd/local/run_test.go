package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"flag"
	"io"
	"net/http"
	"strings"
	"testing"

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
	}
	if len(s.curls) != len(shape) {
		t.Fatalf("printed %d curl lines, want %d:\n%s", len(s.curls), len(shape), strings.Join(s.curls, "\n"))
	}
	for _, line := range s.curls {
		r, err := curlRequest(line)
		if err != nil {
			t.Fatal(err)
		}
		t.Run(r.URL.Path, func(t *testing.T) {
			status, header, body := do(t, r)
			if status != 200 || !shape[r.URL.Path](body) {
				t.Errorf("%s: %d %v", line, status, body)
			}
			if header.Get("Cache-Control") != "no-store" {
				t.Errorf("Cache-Control = %q", header.Get("Cache-Control"))
			}
		})
	}
	// One log line per request, carrying the Lambda request id, never the key.
	logs := s.logs.String()
	if n := strings.Count(logs, `"msg":"request"`); n != len(shape) || !strings.Contains(logs, `"requestId":"`) {
		t.Errorf("%d request log lines, want %d with request ids:\n%s", n, len(shape), logs)
	}
	if strings.Contains(logs, s.key) {
		t.Error("a log line holds the caller key")
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
	}{
		{name: "no key", method: "POST", path: "/transient-token", noKey: true, status: 401, code: "unauthorized"},
		{name: "unknown path", method: "GET", path: "/nope", status: 404, message: "Not Found"},
		{name: "method without a route", method: "GET", path: "/transient-token", status: 404, message: "Not Found"},
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
			status, _, body := do(t, r)
			errBody, _ := body["error"].(map[string]any)
			switch {
			case status != tt.status:
				t.Errorf("status %d, want %d; body %v", status, tt.status, body)
			case tt.code != "" && (errBody == nil || errBody["code"] != tt.code || errBody["requestId"] == ""):
				t.Errorf("body %v, want error code %q with a request id", body, tt.code)
			case tt.message != "" && (body["message"] != tt.message || len(body) != 1):
				t.Errorf("body %v, want {\"message\":%q}", body, tt.message)
			}
		})
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
	sum := sha256.Sum256([]byte(key))
	arn := sm.Put("plexauth", `{"plexToken":"`+plextest.AdminToken+`","callers":{"ci":"sha256:`+hex.EncodeToString(sum[:])+`"}}`)

	s := startRun(t, "-secret-arn", arn)
	if s.key != "" || len(s.curls) == 0 || !strings.Contains(s.curls[0], "<caller-key>") {
		t.Fatalf("with a real secret the key must be a placeholder: key %q, lines %q", s.key, s.curls)
	}
	for _, line := range s.curls {
		r, err := curlRequest(strings.ReplaceAll(line, "<caller-key>", key))
		if err != nil {
			t.Fatal(err)
		}
		if status, _, body := do(t, r); status != 200 {
			t.Errorf("%s: %d %v", r.URL.Path, status, body)
		}
	}
	if sm.Calls() == 0 {
		t.Error("the secret was not read from Secrets Manager")
	}
}
