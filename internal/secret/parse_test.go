package secret_test

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/plexauth/plexauth/internal/secret"
)

// routes stands in for endpoint.Scopes(), which this package cannot import.
var routes = []string{"transient-token", "sources", "token-details", "signin"}

// obj is a caller object for alice with the given fields after "key".
func obj(fields string) string {
	return `{"plexToken":"t","callers":{"alice":{"key":"` + hashOf(aliceKey) + `"` + fields + `}}}`
}

func TestParse(t *testing.T) {
	alice, bob := sha256.Sum256([]byte(aliceKey)), sha256.Sum256([]byte(bobKey))
	june := time.Date(2027, 6, 30, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name        string
		raw         string
		wantToken   string
		wantCallers map[string]secret.Caller
		wantErr     string // part of the error text; "" = no error
	}{
		{name: "plain token", raw: adminToken, wantToken: adminToken},
		{name: "plain token with newline", raw: " " + adminToken + "\n", wantToken: adminToken},
		{name: "json with callers", raw: secretJSON(adminToken), wantToken: adminToken,
			wantCallers: map[string]secret.Caller{"alice": {Hash: alice}, "bob": {Hash: bob}}},
		{name: "json upper-case hex", raw: `{"plexToken":"t","callers":{"alice":"sha256:` + strings.ToUpper(hashOf(aliceKey)[7:]) + `"}}`,
			wantToken: "t", wantCallers: map[string]secret.Caller{"alice": {Hash: alice}}},
		{name: "json without callers", raw: `{"plexToken":"t"}`, wantToken: "t"},
		{name: "json empty callers", raw: `{"plexToken":"t","callers":{}}`, wantToken: "t"},
		{name: "json null callers", raw: `{"plexToken":"t","callers":null}`, wantToken: "t"},
		{name: "json unknown field ignored", raw: `{"plexToken":"t","note":"x"}`, wantToken: "t"},

		// The object form of a caller.
		{name: "object key only", raw: obj(""), wantToken: "t", wantCallers: map[string]secret.Caller{"alice": {Hash: alice}}},
		{name: "object with routes", raw: obj(`,"routes":["token-details"]`), wantToken: "t",
			wantCallers: map[string]secret.Caller{"alice": {Hash: alice, Routes: []string{"token-details"}}}},
		{name: "object with every route", raw: obj(`,"routes":["transient-token","sources","token-details","signin"]`), wantToken: "t",
			wantCallers: map[string]secret.Caller{"alice": {Hash: alice, Routes: routes}}},
		{name: "object with expiry", raw: obj(`,"expires":"2027-06-30T00:00:00Z"`), wantToken: "t",
			wantCallers: map[string]secret.Caller{"alice": {Hash: alice, Expires: june}}},
		{name: "object with expiry offset", raw: obj(`,"expires":"2027-06-30T02:00:00+02:00"`), wantToken: "t",
			wantCallers: map[string]secret.Caller{"alice": {Hash: alice, Expires: june}}},
		{name: "object with routes and expiry", raw: obj(`,"routes":["transient-token"],"expires":"2027-06-30T00:00:00Z"`), wantToken: "t",
			wantCallers: map[string]secret.Caller{"alice": {Hash: alice, Routes: []string{"transient-token"}, Expires: june}}},
		{name: "string and object forms", raw: `{"plexToken":"t","callers":{"bob":"` + hashOf(bobKey) + `","alice":{"key":"` + hashOf(aliceKey) + `","routes":["signin"]}}}`,
			wantToken: "t", wantCallers: map[string]secret.Caller{"alice": {Hash: alice, Routes: []string{"signin"}}, "bob": {Hash: bob}}},

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
		{name: "json caller hash big number", raw: `{"plexToken":"t","callers":{"a":4242424242424242424242}}`, wantErr: `caller "a": has the wrong type`},
		{name: "json callers list", raw: `{"plexToken":"SECRETMARK","callers":["a"]}`, wantErr: `"callers" has the wrong type`},
		{name: "json caller hash number", raw: `{"plexToken":"SECRETMARK","callers":{"a":1}}`, wantErr: `caller "a": has the wrong type`},
		{name: "json caller null", raw: `{"plexToken":"t","callers":{"a":null}}`, wantErr: `caller "a": has the wrong type`},
		{name: "json caller list", raw: `{"plexToken":"t","callers":{"a":["` + hashOf(aliceKey) + `"]}}`, wantErr: `caller "a": has the wrong type`},
		{name: "hash without prefix", raw: `{"plexToken":"t","callers":{"alice":"` + hashOf("SECRETMARK")[7:] + `"}}`, wantErr: `caller "alice": key hash must be`},
		{name: "hash other algorithm", raw: `{"plexToken":"t","callers":{"alice":"md5:0123456789abcdef0123456789abcdef"}}`, wantErr: "key hash must be"},
		{name: "hash too short", raw: `{"plexToken":"t","callers":{"alice":"` + hashOf("x")[:70] + `"}}`, wantErr: "key hash must be"},
		{name: "hash too long", raw: `{"plexToken":"t","callers":{"alice":"` + hashOf("x") + `00"}}`, wantErr: "key hash must be"},
		{name: "hash not hex", raw: `{"plexToken":"t","callers":{"alice":"sha256:` + strings.Repeat("zz", 32) + `"}}`, wantErr: "key hash must be"},
		{name: "hash is the raw key", raw: `{"plexToken":"t","callers":{"alice":"SECRETMARK"}}`, wantErr: "key hash must be"},
		{name: "empty caller name", raw: `{"plexToken":"t","callers":{"":"` + hashOf("x") + `"}}`, wantErr: "empty name"},
		{name: "blank caller name", raw: `{"plexToken":"t","callers":{" ":"` + hashOf("x") + `"}}`, wantErr: "empty name"},
		{name: "two callers one key", raw: `{"plexToken":"t","callers":{"b":"` + hashOf("k") + `","a":"` + hashOf("k") + `"}}`, wantErr: `callers "a" and "b" have the same key hash`},
		{name: "string and object one key", raw: `{"plexToken":"t","callers":{"bob":"` + hashOf(aliceKey) + `","alice":{"key":"` + hashOf(aliceKey) + `","routes":["signin"]}}}`,
			wantErr: `callers "alice" and "bob" have the same key hash`},

		// Malformed caller objects: each names the caller and why, never the entry's content.
		{name: "object unknown field", raw: obj(`,"SECRETMARK":["signin"]`), wantErr: `caller "alice": has a field other than key, routes and expires`},
		{name: "object misspelt routes", raw: obj(`,"route":["signin"]`), wantErr: `caller "alice": has a field other than`},
		{name: "object field in capitals", raw: obj(`,"Routes":["signin"]`), wantErr: `caller "alice": has a field other than`},
		{name: "object without key", raw: `{"plexToken":"t","callers":{"alice":{"routes":["signin"]}}}`, wantErr: `caller "alice": key is missing`},
		{name: "object empty", raw: `{"plexToken":"t","callers":{"alice":{}}}`, wantErr: `caller "alice": key is missing`},
		{name: "object key null", raw: `{"plexToken":"t","callers":{"alice":{"key":null}}}`, wantErr: `caller "alice": key hash must be`},
		{name: "object key number", raw: `{"plexToken":"t","callers":{"alice":{"key":4242}}}`, wantErr: `caller "alice": key hash must be`},
		{name: "object bad key hash", raw: `{"plexToken":"t","callers":{"alice":{"key":"SECRETMARK"}}}`, wantErr: `caller "alice": key hash must be`},
		{name: "object empty routes", raw: obj(`,"routes":[]`), wantErr: `caller "alice": routes is empty`},
		{name: "object null routes", raw: obj(`,"routes":null`), wantErr: `caller "alice": routes must be a list`},
		{name: "object routes string", raw: obj(`,"routes":"signin"`), wantErr: `caller "alice": routes must be a list`},
		{name: "object routes numbers", raw: obj(`,"routes":[4242]`), wantErr: `caller "alice": routes must be a list`},
		{name: "object unknown route", raw: obj(`,"routes":["signin","SECRETMARK"]`),
			wantErr: `caller "alice": routes[1] is not one of the routes (transient-token, sources, token-details, signin)`},
		{name: "object route with slash", raw: obj(`,"routes":["/signin"]`), wantErr: `caller "alice": routes[0] is not one of the routes`},
		{name: "object route in capitals", raw: obj(`,"routes":["SIGNIN"]`), wantErr: `caller "alice": routes[0] is not one of the routes`},
		{name: "object bad date", raw: obj(`,"expires":"30/06/2027 SECRETMARK"`), wantErr: `caller "alice": expires must be an RFC 3339 time`},
		{name: "object date only", raw: obj(`,"expires":"2027-06-30"`), wantErr: `caller "alice": expires must be an RFC 3339 time`},
		{name: "object date without zone", raw: obj(`,"expires":"2027-06-30T00:00:00"`), wantErr: `caller "alice": expires must be an RFC 3339 time`},
		{name: "object empty date", raw: obj(`,"expires":""`), wantErr: `caller "alice": expires must be`},
		{name: "object null date", raw: obj(`,"expires":null`), wantErr: `caller "alice": expires must be`},
		{name: "object date number", raw: obj(`,"expires":4242`), wantErr: `caller "alice": expires must be`},
		{name: "later caller malformed", raw: `{"plexToken":"t","callers":{"bob":{"key":"` + hashOf(bobKey) + `","routes":[]},"alice":"` + hashOf(aliceKey) + `"}}`,
			wantErr: `caller "bob": routes is empty`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := secret.Parse(tt.raw, routes)
			if tt.wantErr != "" {
				if !errors.Is(err, secret.ErrMalformed) {
					t.Fatalf("Parse error = %v, want ErrMalformed", err)
				}
				if !strings.Contains(err.Error(), tt.wantErr) {
					t.Errorf("error %q does not say %q", err, tt.wantErr)
				}
				for _, s := range []string{"SECRETMARK", "4242", hashOf(aliceKey)[7:19], hashOf(bobKey)[7:19]} {
					if strings.Contains(err.Error(), s) {
						t.Errorf("error %q quotes the secret (%s)", err, s)
					}
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
			for name, want := range tt.wantCallers {
				got := v.Callers[name]
				if got.Hash != want.Hash || !slices.Equal(got.Routes, want.Routes) || (got.Routes == nil) != (want.Routes == nil) || !got.Expires.Equal(want.Expires) {
					t.Errorf("caller %q = %v, want %v (hash equal: %v)", name, got, want, got.Hash == want.Hash)
				}
			}
		})
	}
}

// Every function checks the secret against the same route names: a name
// outside those given is malformed, and with none given any route list is.
func TestParseRouteNames(t *testing.T) {
	raw := obj(`,"routes":["token-details"]`)
	tests := []struct {
		name   string
		routes []string
		ok     bool
	}{
		{"all routes", routes, true},
		{"the one route", []string{"token-details"}, true},
		{"other routes", []string{"transient-token", "sources"}, false},
		{"no routes", nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := secret.Parse(raw, tt.routes)
			if tt.ok != (err == nil) || (err != nil && !errors.Is(err, secret.ErrMalformed)) {
				t.Errorf("Parse = %v, want ok %v", err, tt.ok)
			}
		})
	}
	// A caller without routes needs no route names.
	if _, err := secret.Parse(obj(""), nil); err != nil {
		t.Errorf("Parse without routes: %v", err)
	}
}

func TestAuthorize(t *testing.T) {
	parse := func(raw string) secret.Value {
		t.Helper()
		v, err := secret.Parse(raw, routes)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	now := time.Date(2027, 6, 1, 12, 0, 0, 0, time.UTC)
	several := parse(secretJSON(adminToken))
	one := parse(`{"plexToken":"t","callers":{"solo":"` + hashOf(aliceKey) + `"}}`)
	none := parse(adminToken)
	scoped := parse(`{"plexToken":"t","callers":{"ha":{"key":"` + hashOf(aliceKey) + `","routes":["token-details","sources"]},"bob":"` + hashOf(bobKey) + `"}}`)
	expiring := parse(`{"plexToken":"t","callers":{"gh":{"key":"` + hashOf(aliceKey) + `","routes":["transient-token"],"expires":"2027-06-01T12:00:00Z"}}}`)
	tests := []struct {
		name       string
		v          secret.Value
		key, route string
		now        time.Time
		wantCaller string
		wantErr    error
	}{
		{"first of several", several, aliceKey, "signin", now, "alice", nil},
		{"second of several", several, bobKey, "transient-token", now, "bob", nil},
		{"single caller", one, aliceKey, "sources", now, "solo", nil},
		{"wrong key", several, "not-a-key", "sources", now, "", secret.ErrUnknownKey},
		{"key with trailing space", several, aliceKey + " ", "sources", now, "", secret.ErrUnknownKey},
		{"the hash itself", several, hashOf(aliceKey), "sources", now, "", secret.ErrUnknownKey},
		{"admin token is not a key", several, adminToken, "sources", now, "", secret.ErrUnknownKey},
		{"empty key", several, "", "sources", now, "", secret.ErrUnknownKey},
		{"no callers", none, aliceKey, "sources", now, "", secret.ErrUnknownKey},
		{"no callers empty key", none, "", "sources", now, "", secret.ErrUnknownKey},
		{"zero value", secret.Value{}, aliceKey, "sources", now, "", secret.ErrUnknownKey},
		{"scoped on its first route", scoped, aliceKey, "token-details", now, "ha", nil},
		{"scoped on its second route", scoped, aliceKey, "sources", now, "ha", nil},
		{"scoped on another route", scoped, aliceKey, "transient-token", now, "ha", secret.ErrForbidden},
		{"scoped on an unknown route", scoped, aliceKey, "", now, "ha", secret.ErrForbidden},
		{"unscoped beside a scoped one", scoped, bobKey, "transient-token", now, "bob", nil},
		{"wrong key beside a scoped one", scoped, "not-a-key", "token-details", now, "", secret.ErrUnknownKey},
		{"before expiry", expiring, aliceKey, "transient-token", now.Add(-time.Second), "gh", nil},
		{"at expiry", expiring, aliceKey, "transient-token", now, "", secret.ErrUnknownKey},
		{"after expiry", expiring, aliceKey, "transient-token", now.Add(time.Hour), "", secret.ErrUnknownKey},
		// An expired key says nothing about its routes either.
		{"after expiry on another route", expiring, aliceKey, "signin", now.Add(time.Hour), "", secret.ErrUnknownKey},
		{"before expiry on another route", expiring, aliceKey, "signin", now.Add(-time.Hour), "gh", secret.ErrForbidden},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			caller, err := tt.v.Authorize(tt.key, tt.route, tt.now)
			if caller != tt.wantCaller || !errors.Is(err, tt.wantErr) || (err == nil) != (tt.wantErr == nil) {
				t.Errorf("Authorize = (%q, %v), want (%q, %v)", caller, err, tt.wantCaller, tt.wantErr)
			}
		})
	}
}

// A Value printed or logged by mistake must not show the token.
func TestValueRedacted(t *testing.T) {
	v, err := secret.Parse(secretJSON(adminToken), routes)
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

// A Caller printed or logged by mistake shows its scope, never its hash.
func TestCallerRedacted(t *testing.T) {
	v, err := secret.Parse(obj(`,"routes":["signin"],"expires":"2027-06-30T00:00:00Z"`), routes)
	if err != nil {
		t.Fatal(err)
	}
	c := v.Callers["alice"]
	var logged strings.Builder
	slog.New(slog.NewJSONHandler(&logged, nil)).Info("caller", "c", c)
	sum := c.Hash
	for _, out := range []string{fmt.Sprintf("%v", c), fmt.Sprintf("%+v", c), fmt.Sprintf("%#v", c), fmt.Sprintf("%v", &c), logged.String()} {
		if strings.Contains(out, hashOf(aliceKey)[7:19]) || strings.Contains(out, fmt.Sprint(sum[0], " ", sum[1], " ", sum[2])) {
			t.Errorf("output shows the hash: %s", out)
		}
		if !strings.Contains(out, "signin") || !strings.Contains(out, "2027-06-30T00:00:00Z") {
			t.Errorf("output %q does not show the routes and expiry", out)
		}
	}
}

// TestEncode: Parse reads back what Encode writes, a caller on every route
// without expiry in the string form and any other as an object.
func TestEncode(t *testing.T) {
	alice := secret.Caller{Hash: sha256.Sum256([]byte(aliceKey))}
	expires := time.Date(2027, 6, 30, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name  string
		v     secret.Value
		wants []string // substrings of the JSON
	}{
		{"no callers", secret.Value{PlexToken: adminToken}, []string{`"callers":{}`}},
		{"every route", secret.Value{PlexToken: adminToken, Callers: map[string]secret.Caller{"alice": alice}},
			[]string{`"alice":"` + hashOf(aliceKey) + `"`}},
		{"routes", secret.Value{PlexToken: adminToken, Callers: map[string]secret.Caller{
			"alice": {Hash: alice.Hash, Routes: []string{"signin", "sources"}}}},
			[]string{`"alice":{`, `"routes":["signin","sources"]`}},
		{"expiry", secret.Value{PlexToken: adminToken, Callers: map[string]secret.Caller{
			"alice": {Hash: alice.Hash, Expires: expires},
			"bob":   {Hash: sha256.Sum256([]byte(bobKey)), Routes: []string{"signin"}, Expires: expires}}},
			[]string{`"expires":"2027-06-30T00:00:00Z"`, `"bob":{`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			raw := secret.Encode(tt.v)
			for _, want := range tt.wants {
				if !strings.Contains(raw, want) {
					t.Errorf("Encode = %s, want it to hold %s", raw, want)
				}
			}
			got, err := secret.Parse(raw, routes)
			if err != nil {
				t.Fatalf("Parse(Encode(v)): %v", err)
			}
			if got.PlexToken != tt.v.PlexToken || len(got.Callers) != len(tt.v.Callers) {
				t.Fatalf("Parse(Encode(v)) = %+v, want %+v", got, tt.v)
			}
			for name, c := range tt.v.Callers {
				g := got.Callers[name]
				if g.Hash != c.Hash || !slices.Equal(g.Routes, c.Routes) || (g.Routes == nil) != (c.Routes == nil) || !g.Expires.Equal(c.Expires) {
					t.Errorf("caller %s = %+v, want %+v", name, g, c)
				}
			}
		})
	}
}
