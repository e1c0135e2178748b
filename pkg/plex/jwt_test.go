package plex_test

import (
	"encoding/base64"
	"testing"
	"time"

	"github.com/plexauth/plexauth/pkg/plex"
)

// craftJWT builds an unsigned-looking JWT with the given header and payload JSON.
func craftJWT(header, payload string) string {
	enc := base64.RawURLEncoding.EncodeToString
	return enc([]byte(header)) + "." + enc([]byte(payload)) + "." + enc([]byte("signature-bytes"))
}

func TestInspectToken(t *testing.T) {
	exp := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	enc := base64.RawURLEncoding.EncodeToString
	tests := []struct {
		name    string
		tok     string
		kind    string
		expires time.Time
	}{
		{"classic", "abcdEFGH1234ijklMNOP", plex.TokenClassic, time.Time{}},
		{"jwt with exp", craftJWT(`{"alg":"EdDSA","typ":"JWT"}`, `{"exp":1772366400,"user":{"id":1}}`), plex.TokenJWT, exp},
		{"jwt with fractional exp", craftJWT(`{"alg":"EdDSA"}`, `{"exp":1772366400.5}`), plex.TokenJWT, exp.Add(500 * time.Millisecond)},
		{"jwt without exp", craftJWT(`{"alg":"EdDSA"}`, `{"sub":"x"}`), plex.TokenJWT, time.Time{}},
		{"jwt with a string exp", craftJWT(`{"alg":"EdDSA"}`, `{"exp":"soon"}`), plex.TokenJWT, time.Time{}},
		{"padded parts", enc([]byte(`{"alg":"HS256"}`)) + "==." + enc([]byte(`{"exp":1772366400}`)) + ".c2ln", plex.TokenJWT, exp},
		{"header without alg", craftJWT(`{"typ":"JWT"}`, `{"exp":1772366400}`), plex.TokenClassic, time.Time{}},
		{"header not JSON", enc([]byte("nope")) + "." + enc([]byte(`{}`)) + ".c2ln", plex.TokenClassic, time.Time{}},
		{"payload not JSON", craftJWT(`{"alg":"EdDSA"}`, `[1,2]`), plex.TokenClassic, time.Time{}},
		{"two parts", enc([]byte(`{"alg":"EdDSA"}`)) + "." + enc([]byte(`{}`)), plex.TokenClassic, time.Time{}},
		{"four parts", craftJWT(`{"alg":"EdDSA"}`, `{}`) + ".x", plex.TokenClassic, time.Time{}},
		{"empty signature", enc([]byte(`{"alg":"EdDSA"}`)) + "." + enc([]byte(`{}`)) + ".", plex.TokenClassic, time.Time{}},
		{"not base64url", "ey!!.ey!!.sig", plex.TokenClassic, time.Time{}},
		{"dots only", "..", plex.TokenClassic, time.Time{}},
		{"empty", "", plex.TokenClassic, time.Time{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			kind, expires := plex.InspectToken(tt.tok)
			if kind != tt.kind || !expires.Equal(tt.expires) {
				t.Errorf("InspectToken = %s, %v; want %s, %v", kind, expires, tt.kind, tt.expires)
			}
		})
	}
}

func FuzzInspectToken(f *testing.F) {
	f.Add(craftJWT(`{"alg":"EdDSA"}`, `{"exp":1772366400}`))
	f.Add("abcdEFGH1234ijklMNOP")
	f.Fuzz(func(t *testing.T, tok string) {
		kind, _ := plex.InspectToken(tok) // must never panic
		if kind != plex.TokenJWT && kind != plex.TokenClassic {
			t.Fatalf("kind %q", kind)
		}
	})
}
