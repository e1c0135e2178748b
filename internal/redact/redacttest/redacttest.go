// Package redacttest is the test side of package redact: the encoded forms a
// log check scans for, and hostile secrets to send. It is written apart from
// redact, with the standard library's encoders where they exist, so that a
// form redact forgets is a form these checks still find.
package redacttest

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"unicode/utf16"
)

// Passwords are sign-in passwords (and codes, logins) with every character
// that encodes differently in some encoding, one per row.
var Passwords = []string{
	`p@ss%word+1`,
	`a&b=c#d!e-0001`,
	`quote"back\slash`,
	`spaces in my pass`,
	`slash/and/more/0001`,
	`pässwörd ✓`,
	`<tag>&amp;'apos'`,
	`emoji 🔑 key\u0041`,
	`all @%+&=#!"\ /ä✓`,
}

// Tokens are Plex tokens with the same characters, as far as an admin token
// allows (printable ASCII without spaces); header tokens (X-Plex-Token) and
// caller keys may also use the rest of Passwords.
var Tokens = []string{
	`tok@en%2B+&=#!"\/0001`,
	`tok"en\\0002/`,
}

// Encodings returns every form s is scanned for in a log: raw; URL-encoded
// as a query or form value ("+"), a path segment and with "%20", each with
// upper- and lower-case hex; JSON-escaped as Go writes it, without HTML
// escaping, with "\/" and with \u escapes for non-ASCII (either hex case);
// base64, standard and URL, padded and not.
func Encodings(s string) []string {
	if s == "" {
		return nil
	}
	q := url.QueryEscape(s)
	percent := []string{q, strings.ReplaceAll(q, "+", "%20"), url.PathEscape(s), url.Values{"k": {s}}.Encode()[2:]}
	forms := []string{s}
	for _, p := range percent {
		forms = append(forms, p, lowerHex.ReplaceAllStringFunc(p, strings.ToLower))
	}
	goJSON, _ := json.Marshal(s)
	var plain bytes.Buffer
	enc := json.NewEncoder(&plain)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s)
	for _, j := range []string{string(goJSON), strings.TrimSpace(plain.String())} {
		j = j[1 : len(j)-1]
		ascii := asciiJSON(j)
		forms = append(forms, j, strings.ReplaceAll(j, "/", `\/`), ascii, upperU.ReplaceAllStringFunc(ascii, strings.ToUpper))
	}
	for _, e := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		forms = append(forms, e.EncodeToString([]byte(s)))
	}
	return forms
}

var (
	lowerHex = regexp.MustCompile(`%[0-9A-F]{2}`)
	upperU   = regexp.MustCompile(`\\u[0-9a-f]{4}`)
)

// asciiJSON rewrites the non-ASCII runes of a JSON string's inside as \u
// escapes (surrogate pairs beyond the BMP), as Python and PHP write them.
func asciiJSON(j string) string {
	var b strings.Builder
	for _, r := range j {
		switch {
		case r < 0x80:
			b.WriteRune(r)
		case r > 0xffff:
			r1, r2 := utf16.EncodeRune(r)
			fmt.Fprintf(&b, `\u%04x\u%04x`, r1, r2)
		default:
			fmt.Fprintf(&b, `\u%04x`, r)
		}
	}
	return b.String()
}

// Leak returns the first form of a secret found in text, and whether one was.
func Leak(text string, secrets ...string) (string, bool) {
	for _, s := range secrets {
		for _, f := range Encodings(s) {
			if strings.Contains(text, f) {
				return f, true
			}
		}
	}
	return "", false
}
