// Package redact removes secrets from untrusted text (an upstream's error
// message, an error string) before it reaches a log. It is the one place that
// knows the forms a secret can come back in.
package redact

import (
	"encoding/base64"
	"encoding/xml"
	"html"
	"net/url"
	"slices"
	"strings"
	"unicode/utf16"
)

// Mark replaces each secret removed.
const Mark = "[redacted]"

// minCore is the shortest base64 fragment removed for a secret embedded in a
// longer base64 text: shorter ones would match ordinary text by chance.
const minCore = 4

// Text returns s with every form (see Forms) of every non-empty secret
// replaced by Mark. Matching ignores ASCII case, so that percent and \u
// escapes match in either hex case and an email in any case; over-matching
// only removes more. It is meant for error paths: it builds the forms on
// each call.
func Text(s string, secrets ...string) string {
	if s == "" {
		return s
	}
	lower := asciiLower(s) // same byte offsets as s
	var spans [][2]int
	for _, secret := range secrets {
		if secret == "" {
			continue
		}
		for _, f := range Forms(secret) {
			f = asciiLower(f)
			for i := 0; ; {
				j := strings.Index(lower[i:], f)
				if j < 0 {
					break
				}
				spans = append(spans, [2]int{i + j, i + j + len(f)})
				i += j + 1
			}
		}
	}
	if len(spans) == 0 {
		return s
	}
	slices.SortFunc(spans, func(a, b [2]int) int { return a[0] - b[0] })
	var b strings.Builder
	at := 0 // s[:at] is written
	for _, sp := range spans {
		if sp[1] <= at {
			continue // inside a span already removed
		}
		if sp[0] >= at {
			b.WriteString(s[at:sp[0]])
			b.WriteString(Mark)
		}
		at = sp[1]
	}
	b.WriteString(s[at:])
	return b.String()
}

// Forms returns the forms secret can come back in, longest first: raw;
// percent-encoded as a query or form value (space as "+"), a path segment
// and JavaScript's encodeURIComponent (space as "%20"); JSON-escaped, with
// and without HTML escaping, escaped "/" and \u escapes for non-ASCII;
// HTML- and XML-escaped; base64 (standard and URL alphabets, padded and
// not), and the fragments of it that stay the same when secret is part of a
// longer base64-encoded text.
func Forms(secret string) []string {
	if secret == "" {
		return nil
	}
	forms := []string{
		secret,
		url.QueryEscape(secret),
		url.PathEscape(secret),
		percent(secret, "", "%20"),
		percent(secret, "!'()*", "%20"),
		percent(secret, "/", "%20"),
		html.EscapeString(secret),
		xmlEscape(secret),
	}
	for flags := range 8 {
		forms = append(forms, jsonEscape(secret, flags&1 != 0, flags&2 != 0, flags&4 != 0))
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding} {
		forms = append(forms, enc.EncodeToString([]byte(secret)))
		raw := enc.WithPadding(base64.NoPadding)
		for shift := range 3 { // secret's offset in a longer text, mod 3
			b := append(make([]byte, shift), secret...)
			e := raw.EncodeToString(b)
			// The characters whose 6 bits all come from secret.
			lo, hi := (8*shift+5)/6, 8*len(b)/6
			if hi-lo >= minCore {
				forms = append(forms, e[lo:hi])
			}
		}
	}
	slices.SortFunc(forms, func(a, b string) int { return len(b) - len(a) })
	return slices.Compact(forms)
}

// percent escapes every byte but ASCII letters, digits, "-._~" and keep;
// space becomes space.
func percent(s, keep, space string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', strings.IndexByte("-._~"+keep, c) >= 0:
			b.WriteByte(c)
		case c == ' ':
			b.WriteString(space)
		default:
			b.WriteByte('%')
			b.WriteByte(hex[c>>4])
			b.WriteByte(hex[c&15])
		}
	}
	return b.String()
}

// jsonEscape is s as the inside of a JSON string. Encoders differ: Go escapes
// <, >, & and U+2028/9 (htmlSafe), PHP escapes "/" (slash), Python and PHP
// write non-ASCII as \u escapes (ascii).
func jsonEscape(s string, htmlSafe, slash, ascii bool) string {
	var b strings.Builder
	u := func(r rune) {
		const hex = "0123456789abcdef"
		b.WriteString(`\u`)
		for shift := 12; shift >= 0; shift -= 4 {
			b.WriteByte(hex[r>>shift&15])
		}
	}
	for _, r := range s { // invalid UTF-8 reads as U+FFFD, as encoders write it
		switch {
		case r == '"' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r == '/' && slash:
			b.WriteString(`\/`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r < 0x20,
			htmlSafe && (r == '<' || r == '>' || r == '&' || r == '\u2028' || r == '\u2029'),
			ascii && r >= 0x80 && r <= 0xffff:
			u(r)
		case ascii && r > 0xffff:
			r1, r2 := utf16.EncodeRune(r)
			u(r1)
			u(r2)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// xmlEscape is s as encoding/xml writes text and attributes.
func xmlEscape(s string) string {
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(s)) // a Builder never fails
	return b.String()
}

// asciiLower lower-cases ASCII letters only, so byte offsets stay the same.
func asciiLower(s string) string {
	for i := 0; i < len(s); i++ {
		if 'A' <= s[i] && s[i] <= 'Z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if 'A' <= b[j] && b[j] <= 'Z' {
					b[j] += 'a' - 'A'
				}
			}
			return string(b)
		}
	}
	return s
}
