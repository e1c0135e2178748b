package plex

import (
	"net/url"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/plexauth/plexauth/internal/redact/redacttest"
)

// Fuzz targets for everything that reads untrusted bytes. Each decoder takes
// the body as JSON or XML (the bool); none may panic, and each keeps its
// promise about what a success holds. Errors must stay short: they never
// quote the body, which may hold tokens.

func fuzzFormat(isXML bool) format {
	if isXML {
		return formatXML
	}
	return formatJSON
}

func checkDecodeError(t *testing.T, err error) {
	if err != nil && len(err.Error()) > 48 {
		t.Fatalf("error %q is longer than a fixed description", err)
	}
}

func seedBodies(f *testing.F, bodies ...string) {
	for _, b := range bodies {
		f.Add([]byte(b), strings.HasPrefix(strings.TrimSpace(b), "<"))
	}
	f.Add([]byte(`{"MediaContainer":[]}`), false)
	f.Add([]byte(`<MediaContainer><MediaContainer/></MediaContainer>`), true)
	f.Add([]byte(`null`), false)
	f.Add([]byte(``), true)
}

func FuzzDecodeTransient(f *testing.F) {
	seedBodies(f, transientJSON, transientXML, `{"MediaContainer":{"token":7}}`)
	f.Fuzz(func(t *testing.T, body []byte, isXML bool) {
		tok, err := decodeTransient(fuzzFormat(isXML), body)
		checkDecodeError(t, err)
		if err == nil && tok == "" {
			t.Fatal("success without a token")
		}
	})
}

func FuzzDecodeDevice(f *testing.F) {
	seedBodies(f, resourcesJSON, resourcesXML, `{"MediaContainer":{"Device":[{"name":"a"},{"name":"b"}]}}`,
		`{"MediaContainer":{"Device":{"Connection":[{"port":"x","local":"1"}]}}}`)
	f.Fuzz(func(t *testing.T, body []byte, isXML bool) {
		d, err := decodeDevice(fuzzFormat(isXML), body)
		checkDecodeError(t, err)
		if err == nil && (d == nil || d.Connections == nil || (d.ClientIdentifier == "" && d.AccessToken == "")) {
			t.Fatalf("success with device %+v", d)
		}
	})
}

func FuzzDecodeUser(f *testing.F) {
	seedBodies(f, userJSON, userXML, `{"id":"1","subscription":null}`, `<user uuid="u" joinedAt="x"/>`)
	f.Fuzz(func(t *testing.T, body []byte, isXML bool) {
		u, err := decodeUser(fuzzFormat(isXML), body)
		checkDecodeError(t, err)
		if err == nil && (u == nil || (u.ID == 0 && u.UUID == "")) {
			t.Fatalf("success with user %+v", u)
		}
	})
}

// FuzzDecodeError also checks that the message an Error carries is bounded,
// one line of valid UTF-8, and free of the secrets the request sent.
func FuzzDecodeError(f *testing.F) {
	seedBodies(f, plexTVError(1029, 401, "Please enter the verification code"),
		`<errors><error code="1031" message="blocked" status="401"/></errors>`,
		`<errors><error>Invalid email, username, or password.</error></errors>`,
		plexTVError(1001, 401, "token "+testToken+"\n"+strings.Repeat("ü", 150)))
	f.Fuzz(func(t *testing.T, body []byte, isXML bool) {
		_, raw := decodeError(fuzzFormat(isXML), body)
		msg := cleanMessage(raw, []string{testToken, testPassword})
		switch {
		case len(msg) > maxMessage+len("..."):
			t.Fatalf("message of %d bytes", len(msg))
		case !utf8.ValidString(msg):
			t.Fatalf("message %q is not valid UTF-8", msg)
		case strings.ContainsAny(msg, "\r\n\x00\x7f\u0085\u2028\u2029"):
			t.Fatalf("message %q holds control characters", msg)
		}
		if form, ok := redacttest.Leak(msg, testToken, testPassword); ok {
			t.Fatalf("message %q holds a secret as %q", msg, form)
		}
	})
}

// FuzzValidateSource: an accepted source travels as exactly one query value
// and comes back unchanged; a refused one yields a short ErrInvalidInput.
func FuzzValidateSource(f *testing.F) {
	for _, s := range []string{"server://a1b2c3", "provider://tv.plex.provider.epg", "server://a&b", "server://a%2",
		"server://\u00a0", "server://", "x", "server://a#b?c", "provider://a:b/c"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		err := ValidateSource(s)
		if err != nil {
			e := asError(t, err, ErrInvalidInput)
			if e.Message == "" || len(e.Message) > 64 {
				t.Fatalf("message %q", e.Message)
			}
			return
		}
		if len(s) > maxSourceLen || !(strings.HasPrefix(s, "server://") || strings.HasPrefix(s, "provider://")) {
			t.Fatalf("accepted %q", s)
		}
		id := s[strings.Index(s, "://")+3:]
		if id == "" || strings.ContainsAny(id, "&#?%/=+ \t\r\n\x00") {
			t.Fatalf("accepted %q", s)
		}
		q, perr := url.ParseQuery("source=" + url.QueryEscape(s) + "&refresh=1")
		if perr != nil || len(q) != 2 || len(q["source"]) != 1 || q.Get("source") != s {
			t.Fatalf("%q does not travel as one query value: %v %v", s, q, perr)
		}
	})
}

func BenchmarkDecode(b *testing.B) {
	benches := []struct {
		name   string
		format format
		body   string
		decode func(format, []byte) error
	}{
		{"transient/json", formatJSON, transientJSON, func(f format, b []byte) error { _, err := decodeTransient(f, b); return err }},
		{"transient/xml", formatXML, transientXML, func(f format, b []byte) error { _, err := decodeTransient(f, b); return err }},
		{"device/json", formatJSON, resourcesJSON, func(f format, b []byte) error { _, err := decodeDevice(f, b); return err }},
		{"device/xml", formatXML, resourcesXML, func(f format, b []byte) error { _, err := decodeDevice(f, b); return err }},
		{"user/json", formatJSON, userJSON, func(f format, b []byte) error { _, err := decodeUser(f, b); return err }},
		{"user/xml", formatXML, userXML, func(f format, b []byte) error { _, err := decodeUser(f, b); return err }},
	}
	for _, bb := range benches {
		body := []byte(bb.body)
		b.Run(bb.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(body)))
			for b.Loop() {
				if err := bb.decode(bb.format, body); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
