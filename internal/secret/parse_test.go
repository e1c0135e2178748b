package secret_test

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/plexauth/plexauth/internal/secret"
)

func TestParse(t *testing.T) {
	alice, bob := sha256.Sum256([]byte(aliceKey)), sha256.Sum256([]byte(bobKey))
	tests := []struct {
		name        string
		raw         string
		wantToken   string
		wantCallers map[string][32]byte
		wantErr     string // part of the error text; "" = no error
	}{
		{name: "plain token", raw: adminToken, wantToken: adminToken},
		{name: "plain token with newline", raw: " " + adminToken + "\n", wantToken: adminToken},
		{name: "json with callers", raw: secretJSON(adminToken), wantToken: adminToken,
			wantCallers: map[string][32]byte{"alice": alice, "bob": bob}},
		{name: "json upper-case hex", raw: `{"plexToken":"t","callers":{"alice":"sha256:` + strings.ToUpper(hashOf(aliceKey)[7:]) + `"}}`,
			wantToken: "t", wantCallers: map[string][32]byte{"alice": alice}},
		{name: "json without callers", raw: `{"plexToken":"t"}`, wantToken: "t"},
		{name: "json empty callers", raw: `{"plexToken":"t","callers":{}}`, wantToken: "t"},
		{name: "json null callers", raw: `{"plexToken":"t","callers":null}`, wantToken: "t"},
		{name: "json unknown field ignored", raw: `{"plexToken":"t","note":"x"}`, wantToken: "t"},

		{name: "empty", raw: "", wantErr: "empty"},
		{name: "blank", raw: " \n\t", wantErr: "empty"},
		{name: "plain token with space", raw: "SECRETMARK other", wantErr: "printable ASCII"},
		{name: "plain token with control", raw: "SECRETMARK\x00", wantErr: "printable ASCII"},
		{name: "truncated json", raw: `{"plexToken":"SECRETMARK"`, wantErr: "not valid JSON"},
		{name: "json bad syntax", raw: `{"plexToken":SECRETMARK}`, wantErr: "not valid JSON"},
		{name: "json trailing data", raw: `{"plexToken":"t"} SECRETMARK`, wantErr: "not valid JSON"},
		{name: "json array", raw: `{"plexToken":["SECRETMARK"]}`, wantErr: `"plexToken" has the wrong type`},
		{name: "json token missing", raw: `{"callers":{}}`, wantErr: `"plexToken" is missing`},
		{name: "json token null", raw: `{"plexToken":null}`, wantErr: `"plexToken" is missing`},
		{name: "json token empty", raw: `{"plexToken":" "}`, wantErr: "plexToken is empty"},
		{name: "json token with space", raw: `{"plexToken":"SECRETMARK x"}`, wantErr: "printable ASCII"},
		{name: "json token number", raw: `{"plexToken":12345}`, wantErr: "wrong type"},
		{name: "json caller hash big number", raw: `{"plexToken":"t","callers":{"a":4242424242424242424242}}`, wantErr: `"callers" has the wrong type (number)`},
		{name: "json callers list", raw: `{"plexToken":"SECRETMARK","callers":["a"]}`, wantErr: `"callers" has the wrong type`},
		{name: "json caller hash number", raw: `{"plexToken":"SECRETMARK","callers":{"a":1}}`, wantErr: "wrong type"},
		{name: "hash without prefix", raw: `{"plexToken":"t","callers":{"alice":"` + hashOf("SECRETMARK")[7:] + `"}}`, wantErr: `caller "alice": key hash must be`},
		{name: "hash other algorithm", raw: `{"plexToken":"t","callers":{"alice":"md5:0123456789abcdef0123456789abcdef"}}`, wantErr: "key hash must be"},
		{name: "hash too short", raw: `{"plexToken":"t","callers":{"alice":"` + hashOf("x")[:70] + `"}}`, wantErr: "key hash must be"},
		{name: "hash too long", raw: `{"plexToken":"t","callers":{"alice":"` + hashOf("x") + `00"}}`, wantErr: "key hash must be"},
		{name: "hash not hex", raw: `{"plexToken":"t","callers":{"alice":"sha256:` + strings.Repeat("zz", 32) + `"}}`, wantErr: "key hash must be"},
		{name: "hash is the raw key", raw: `{"plexToken":"t","callers":{"alice":"SECRETMARK"}}`, wantErr: "key hash must be"},
		{name: "empty caller name", raw: `{"plexToken":"t","callers":{"":"` + hashOf("x") + `"}}`, wantErr: "empty name"},
		{name: "blank caller name", raw: `{"plexToken":"t","callers":{" ":"` + hashOf("x") + `"}}`, wantErr: "empty name"},
		{name: "two callers one key", raw: `{"plexToken":"t","callers":{"b":"` + hashOf("k") + `","a":"` + hashOf("k") + `"}}`, wantErr: `callers "a" and "b" have the same key hash`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := secret.Parse(tt.raw)
			if tt.wantErr != "" {
				if !errors.Is(err, secret.ErrMalformed) {
					t.Fatalf("Parse error = %v, want ErrMalformed", err)
				}
				if !strings.Contains(err.Error(), tt.wantErr) {
					t.Errorf("error %q does not say %q", err, tt.wantErr)
				}
				if strings.Contains(err.Error(), "SECRETMARK") || strings.Contains(err.Error(), "4242") {
					t.Errorf("error %q quotes the secret", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if v.PlexToken != tt.wantToken {
				t.Errorf("PlexToken = %q, want %q", v.PlexToken, tt.wantToken)
			}
			if len(v.Callers) != len(tt.wantCallers) {
				t.Fatalf("Callers = %d entries, want %d", len(v.Callers), len(tt.wantCallers))
			}
			for name, h := range tt.wantCallers {
				if v.Callers[name] != h {
					t.Errorf("caller %q: wrong hash", name)
				}
			}
		})
	}
}

func TestAuthenticate(t *testing.T) {
	several, err := secret.Parse(secretJSON(adminToken))
	if err != nil {
		t.Fatal(err)
	}
	one, err := secret.Parse(`{"plexToken":"t","callers":{"solo":"` + hashOf(aliceKey) + `"}}`)
	if err != nil {
		t.Fatal(err)
	}
	none, err := secret.Parse(adminToken)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name       string
		v          secret.Value
		key        string
		wantCaller string
		wantOK     bool
	}{
		{"first of several", several, aliceKey, "alice", true},
		{"second of several", several, bobKey, "bob", true},
		{"single caller", one, aliceKey, "solo", true},
		{"wrong key", several, "not-a-key", "", false},
		{"key with trailing space", several, aliceKey + " ", "", false},
		{"the hash itself", several, hashOf(aliceKey), "", false},
		{"admin token is not a key", several, adminToken, "", false},
		{"empty key", several, "", "", false},
		{"no callers", none, aliceKey, "", false},
		{"no callers empty key", none, "", "", false},
		{"zero value", secret.Value{}, aliceKey, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			caller, ok := tt.v.Authenticate(tt.key)
			if caller != tt.wantCaller || ok != tt.wantOK {
				t.Errorf("Authenticate = (%q, %v), want (%q, %v)", caller, ok, tt.wantCaller, tt.wantOK)
			}
		})
	}
}

// A Value printed or logged by mistake must not show the token.
func TestValueRedacted(t *testing.T) {
	v, err := secret.Parse(secretJSON(adminToken))
	if err != nil {
		t.Fatal(err)
	}
	var logged strings.Builder
	slog.New(slog.NewJSONHandler(&logged, nil)).Info("value", "v", v)
	tests := []struct{ name, out string }{
		{"%v", fmt.Sprintf("%v", v)},
		{"%+v", fmt.Sprintf("%+v", v)},
		{"%#v", fmt.Sprintf("%#v", v)},
		//lint:ignore S1025 what fmt's %s verb prints is the point of the test
		{"%s", fmt.Sprintf("%s", v)},
		{"pointer %v", fmt.Sprintf("%v", &v)},
		{"slog", logged.String()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if strings.Contains(tt.out, adminToken) {
				t.Errorf("output shows the token: %s", tt.out)
			}
			if !strings.Contains(tt.out, "2") {
				t.Errorf("output %q does not give the caller count", tt.out)
			}
		})
	}
}
