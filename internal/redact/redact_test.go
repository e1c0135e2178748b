package redact_test

import (
	"encoding/base64"
	"slices"
	"strings"
	"testing"

	"github.com/plexauth/plexauth/internal/redact"
	"github.com/plexauth/plexauth/internal/redact/redacttest"
)

func hostile() []string { return append(slices.Clone(redacttest.Passwords), redacttest.Tokens...) }

// TestTextEveryEncoding: each hostile secret, in each form a log check scans
// for, is removed from a message and the rest of the message kept.
func TestTextEveryEncoding(t *testing.T) {
	for _, secret := range hostile() {
		for _, form := range redacttest.Encodings(secret) {
			msg := "before " + form + " after"
			got := redact.Text(msg, "unrelated-0001", secret)
			if f, ok := redacttest.Leak(got, secret); ok {
				t.Errorf("secret %q as %q: %q still holds %q", secret, form, got, f)
			}
			if !strings.HasPrefix(got, "before ") || !strings.HasSuffix(got, " after") || !strings.Contains(got, redact.Mark) {
				t.Errorf("secret %q as %q: got %q, want only the secret replaced", secret, form, got)
			}
		}
	}
}

// TestTextCase: percent and \u escapes match in either hex case, an email in
// any case.
func TestTextCase(t *testing.T) {
	tests := []struct{ secret, msg string }{
		{"a/b c", "path a%2fb%20c here"},
		{"a/b c", "path A%2Fb+C here"},
		{"pä", `json p\u00E4 here`},
		{"alice@example.com", "login ALICE@Example.COM here"},
		{"alice@example.com", "login Alice%40example.com here"},
	}
	for _, tt := range tests {
		got := redact.Text(tt.msg, tt.secret)
		if want := strings.Fields(tt.msg)[0] + " " + redact.Mark + " here"; got != want {
			t.Errorf("Text(%q, %q) = %q, want %q", tt.msg, tt.secret, got, want)
		}
	}
}

// TestTextEmbeddedBase64: a secret inside a longer base64 text (a whole form
// body echoed as base64) loses all but the characters it shares with its
// neighbours, at each of the three alignments.
func TestTextEmbeddedBase64(t *testing.T) {
	for _, secret := range hostile() {
		for shift := range 3 {
			for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding} {
				body := strings.Repeat("x", shift) + secret + "&rememberMe=false"
				msg := enc.EncodeToString([]byte(body))
				got := redact.Text(msg, secret)
				// What is left: the neighbours' characters, and at most one
				// character at each end that mixes their bits with the secret's.
				left := len(got) - len(redact.Mark)
				if most := enc.EncodedLen(len(body)) - (8*len(secret)-4)/6 + 2; !strings.Contains(got, redact.Mark) || left > most {
					t.Errorf("secret %q at %d: %q left of %q (%d chars, want at most %d)", secret, shift, got, msg, left, most)
				}
			}
		}
	}
}

// TestTextOverlapping: forms that overlap or nest are removed as one span.
func TestTextOverlapping(t *testing.T) {
	got := redact.Text("x abcdef y", "abcd", "cdef", "bc")
	if got != "x "+redact.Mark+" y" {
		t.Errorf("got %q", got)
	}
}

func TestTextNothingToRemove(t *testing.T) {
	for _, tt := range []struct {
		msg     string
		secrets []string
	}{{"", []string{"x"}}, {"plain message", nil}, {"plain message", []string{"", "absent"}}} {
		if got := redact.Text(tt.msg, tt.secrets...); got != tt.msg {
			t.Errorf("Text(%q, %q) = %q, want it unchanged", tt.msg, tt.secrets, got)
		}
	}
}

func BenchmarkText(b *testing.B) {
	msg := "Internal error: could not process request " + strings.Repeat("with some detail ", 8)
	for b.Loop() {
		redact.Text(msg, "sim-admin-token-0001", "test-caller-key-0001", "correct-horse-battery", "alice@example.com")
	}
}
