package plex

import (
	"context"
	"strings"
	"testing"
)

func TestValidateSource(t *testing.T) {
	tests := []struct {
		in      string
		problem string // substring of the message; empty means valid
	}{
		{"server://a1b2c3d4e5f6", ""},
		{"server://0123456789abcdef0123456789abcdef01234567", ""},
		{"provider://tv.plex.provider.epg", ""},
		{"provider://tv.plex.providers.epg.xmltv:53", ""},
		{"server://A-b_c.d", ""},
		{"server://" + strings.Repeat("a", maxSourceLen-len("server://")), ""},

		{"", "source is empty"},
		{"a1b2c3d4e5f6", "must start with server:// or provider://"},
		{"server:a1b2", "must start with"},
		{"server:/a1b2", "must start with"},
		{"SERVER://a1b2", "must start with"},
		{"http://a1b2", "must start with"},
		{"file:///etc/passwd", "must start with"},
		{"javascript://alert(1)", "must start with"},
		{" server://a1b2", "must start with"},
		{"server%3A%2F%2Fa1b2", "must start with"},
		{"server://", "identifier is empty"},
		{"provider://", "identifier is empty"},
		{"server://a1b2 ", "whitespace"},
		{"server://a1 b2", "whitespace"},
		{"server://a1b2\t", "whitespace"},
		{"server://a1b2\nX-Plex-Token: x", "whitespace"},
		{"server://a1b2\r\n", "whitespace"},
		{"server://a1b2\x00", "control character"},
		{"server://a1b2\x1b[2J", "control character"},
		{"server://a1b2\x7f", "control character"},
		{"server://a1b2&refresh=1", `'&'`},
		{"server://a1b2&X-Plex-Token=stolen", `'&'`},
		{"server://a1b2#frag", `'#'`},
		{"server://a1b2?x=1", `'?'`},
		{"server://a1b2%26refresh%3D1", `'%'`},
		{"server://a1b2%00", `'%'`},
		{"server://a1b2/../../admin", `'/'`},
		{"server://a1b2\\..", `'\\'`},
		{"server://a1b2+b", `'+'`},
		{"server://a1b2;b", `';'`},
		{"server://a1b2=b", `'='`},
		{"server://user@a1b2", `'@'`},
		{"server://a1b2\u00a0", "non-ASCII"},
		{"server://a1b2\u2028", "non-ASCII"},
		{"server://a1b2\u3000", "non-ASCII"},
		{"server://a1b2\ufeff", "non-ASCII"},
		{"server://ａ1b2", "non-ASCII"},
		{"server://a1b2\xff", "non-ASCII"},
		{"server://" + strings.Repeat("a", maxSourceLen), "longer than 256 bytes"},
		{strings.Repeat("x", 1<<20), "longer than 256 bytes"},
	}
	for _, tt := range tests {
		name := tt.in
		if len(name) > 40 {
			name = name[:40]
		}
		t.Run(name, func(t *testing.T) {
			err := ValidateSource(tt.in)
			if tt.problem == "" {
				if err != nil {
					t.Fatalf("ValidateSource(%q) = %v, want nil", tt.in, err)
				}
				return
			}
			e := asError(t, err, ErrInvalidInput)
			if !strings.Contains(e.Message, tt.problem) {
				t.Errorf("message %q, want it to name %q", e.Message, tt.problem)
			}
			if len(tt.in) > 12 && strings.Contains(err.Error(), tt.in[9:]) {
				t.Errorf("error %q quotes the source", err)
			}
		})
	}
}

// TestSourceValidatedFirst: a bad source never reaches the server.
func TestSourceValidatedFirst(t *testing.T) {
	f := newFake(t, answer{200, "application/json", resourcesJSON, nil})
	c := fakeClient(t, f)
	for _, src := range []string{"", "server://a&b", "ftp://x", "server://a\nb"} {
		_, err := c.Source(context.Background(), testToken, SourceQuery{Source: src})
		asError(t, err, ErrInvalidInput)
	}
	if n := len(f.requests()); n != 0 {
		t.Errorf("%d requests, want none", n)
	}
}
