package apigw

import (
	"context"
	"crypto/tls"
	"encoding/base64"
	"net"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestEvent(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 2, 0, time.UTC)
	binary := []byte{0x00, 0xff, 0x10}
	tests := []struct {
		name    string
		method  string
		target  string
		header  http.Header
		body    []byte
		query   map[string]string
		cookies []string
		headers map[string]string // a subset of the event's headers
		evBody  string
		base64  bool
		opt     Options
	}{
		{name: "plain get", method: "GET", target: "/token-details",
			headers: map[string]string{"host": "example.com", "x-forwarded-for": "192.0.2.1", "x-forwarded-proto": "http"}},
		{name: "query repeats joined", method: "GET", target: "/sources?source=server://a&refresh=1&refresh=0&x=%2C",
			query: map[string]string{"source": "server://a", "refresh": "1,0", "x": ","}},
		{name: "header names lowercased, repeats joined", method: "GET", target: "/sources",
			header:  http.Header{"X-Plex-Token": {"a"}, "X-Multi": {"one", "two"}},
			headers: map[string]string{"x-plex-token": "a", "x-multi": "one,two"}},
		{name: "cookies leave the headers", method: "GET", target: "/sources",
			header:  http.Header{"Cookie": {"a=1; b=2", "c=3"}},
			cookies: []string{"a=1", "b=2", "c=3"}},
		{name: "json body as is", method: "POST", target: "/signin",
			header: http.Header{"Content-Type": {"application/json; charset=utf-8"}}, body: []byte(`{"login":"a"}`),
			evBody: `{"login":"a"}`, headers: map[string]string{"content-length": "13"}},
		{name: "text body as is", method: "POST", target: "/signin",
			header: http.Header{"Content-Type": {"text/plain"}}, body: []byte("hi"), evBody: "hi"},
		{name: "form body in base64", method: "POST", target: "/signin",
			header: http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}, body: []byte("login=a"),
			evBody: base64.StdEncoding.EncodeToString([]byte("login=a")), base64: true},
		{name: "binary body in base64", method: "POST", target: "/signin",
			header: http.Header{"Content-Type": {"application/octet-stream"}}, body: binary,
			evBody: base64.StdEncoding.EncodeToString(binary), base64: true},
		{name: "no content type in base64", method: "POST", target: "/signin", body: []byte("x"),
			evBody: base64.StdEncoding.EncodeToString([]byte("x")), base64: true},
		{name: "plain keeps a form as it is", method: "POST", target: "/signin", opt: Options{Encoding: Plain},
			header: http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}, body: []byte("login=a"), evBody: "login=a"},
		{name: "base64 encodes json too", method: "POST", target: "/signin", opt: Options{Encoding: Base64},
			header: http.Header{"Content-Type": {"application/json"}}, body: []byte(`{}`),
			evBody: base64.StdEncoding.EncodeToString([]byte(`{}`)), base64: true},
		{name: "empty body never encoded", method: "POST", target: "/signin", opt: Options{Encoding: Base64}},
		{name: "query keeps what decodes", method: "GET", target: "/sources?a=1&source=%zz",
			query: map[string]string{"a": "1"}},
		{name: "query that does not decode at all", method: "GET", target: "/sources?source=%zz"},
		{name: "pinned request id and time", method: "GET", target: "/sources",
			opt: Options{RequestID: "req-1", Time: time.Date(2025, 3, 12, 19, 3, 58, 0, time.FixedZone("x", 3600))}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(tt.method, "http://example.com"+tt.target, strings.NewReader(string(tt.body)))
			for k, vs := range tt.header {
				r.Header[k] = vs
			}
			opt := tt.opt
			if opt.Time.IsZero() {
				opt.Time = now
			}
			ev := Event(r, tt.body, opt)

			path, rawQuery, _ := strings.Cut(tt.target, "?")
			rc := ev.RequestContext
			if ev.Version != "2.0" || ev.RouteKey != "ANY "+path || rc.RouteKey != ev.RouteKey ||
				ev.RawPath != path || ev.RawQueryString != rawQuery || rc.HTTP.Method != tt.method || rc.HTTP.Path != path {
				t.Errorf("version %q route %q/%q path %q query %q http %+v", ev.Version, ev.RouteKey, rc.RouteKey, ev.RawPath, ev.RawQueryString, rc.HTTP)
			}
			if rc.Stage != "$default" || rc.AccountID != "local" || rc.APIID != "local" || rc.DomainName != "example.com" ||
				rc.HTTP.SourceIP != "192.0.2.1" || rc.RequestID == "" || rc.TimeEpoch != opt.Time.UnixMilli() ||
				rc.Time != opt.Time.UTC().Format("02/Jan/2006:15:04:05 +0000") {
				t.Errorf("request context %+v", rc)
			}
			if tt.opt.RequestID != "" && rc.RequestID != tt.opt.RequestID {
				t.Errorf("request id %q, want %q", rc.RequestID, tt.opt.RequestID)
			}
			if !reflect.DeepEqual(ev.QueryStringParameters, tt.query) {
				t.Errorf("query = %v, want %v", ev.QueryStringParameters, tt.query)
			}
			if !reflect.DeepEqual(ev.Cookies, tt.cookies) {
				t.Errorf("cookies = %v, want %v", ev.Cookies, tt.cookies)
			}
			if _, ok := ev.Headers["cookie"]; ok {
				t.Error("cookie header kept")
			}
			for k, v := range tt.headers {
				if ev.Headers[k] != v {
					t.Errorf("header %s = %q, want %q", k, ev.Headers[k], v)
				}
			}
			if ev.Body != tt.evBody || ev.IsBase64Encoded != tt.base64 {
				t.Errorf("body %q base64 %v, want %q %v", ev.Body, ev.IsBase64Encoded, tt.evBody, tt.base64)
			}
		})
	}
}

// TestEventDefaults: without options the event gets a fresh random request
// id and the current time; the scheme and port come from the connection.
func TestEventDefaults(t *testing.T) {
	r := httptest.NewRequest("GET", "http://example.com/sources", nil)
	before := time.Now()
	a, b := Event(r, nil, Options{}), Event(r, nil, Options{})
	if a.RequestContext.RequestID == "" || a.RequestContext.RequestID == b.RequestContext.RequestID {
		t.Errorf("request ids %q and %q, want two different ones", a.RequestContext.RequestID, b.RequestContext.RequestID)
	}
	if got := a.RequestContext.TimeEpoch; got < before.UnixMilli() || got > time.Now().UnixMilli() {
		t.Errorf("timeEpoch %d, want now", got)
	}
	if a.Headers["x-forwarded-proto"] != "http" || a.Headers["x-forwarded-port"] != "80" {
		t.Errorf("plain HTTP forwarded as %q port %q", a.Headers["x-forwarded-proto"], a.Headers["x-forwarded-port"])
	}

	r = httptest.NewRequest("GET", "https://example.com/sources", nil)
	if r.TLS == nil {
		r.TLS = &tls.ConnectionState{}
	}
	if ev := Event(r, nil, Options{}); ev.Headers["x-forwarded-proto"] != "https" || ev.Headers["x-forwarded-port"] != "443" {
		t.Errorf("TLS forwarded as %q port %q", ev.Headers["x-forwarded-proto"], ev.Headers["x-forwarded-port"])
	}

	addr := &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 3000}
	r = r.WithContext(context.WithValue(r.Context(), http.LocalAddrContextKey, addr))
	if ev := Event(r, nil, Options{}); ev.Headers["x-forwarded-port"] != "3000" {
		t.Errorf("x-forwarded-port %q, want the listener's 3000", ev.Headers["x-forwarded-port"])
	}
}

// A templated route matches one non-empty segment per parameter, as API
// Gateway's {name} does, and nothing else.
func TestMatch(t *testing.T) {
	for _, tt := range []struct {
		route, path string
		params      map[string]string
		ok          bool
	}{
		{"/pins/{id}", "/pins/abc", map[string]string{"id": "abc"}, true},
		{"/pins/{id}", "/pins/", nil, false},
		{"/pins/{id}", "/pins", nil, false},
		{"/pins/{id}", "/pins/a/b", nil, false},
		{"/pins/{id}", "/pinsx/a", nil, false},
		{"/pins", "/pins", nil, true},
		{"/pins", "/pins/a", nil, false},
		{"/a/{x}/b/{y}", "/a/1/b/2", map[string]string{"x": "1", "y": "2"}, true},
	} {
		params, ok := Match(tt.route, tt.path)
		if ok != tt.ok || !reflect.DeepEqual(params, tt.params) {
			t.Errorf("Match(%q, %q) = %v, %v; want %v, %v", tt.route, tt.path, params, ok, tt.params, tt.ok)
		}
	}
}

// With a templated Route, the route key names the template and the path's
// parameters fill pathParameters; rawPath stays the request's.
func TestEventRoute(t *testing.T) {
	r := httptest.NewRequest(http.MethodGet, "/pins/AbC-_9", nil)
	ev := Event(r, nil, Options{Route: "/pins/{id}"})
	if ev.RouteKey != "ANY /pins/{id}" || ev.RequestContext.RouteKey != ev.RouteKey {
		t.Errorf("routeKey = %q / %q, want ANY /pins/{id}", ev.RouteKey, ev.RequestContext.RouteKey)
	}
	if !reflect.DeepEqual(ev.PathParameters, map[string]string{"id": "AbC-_9"}) || ev.RawPath != "/pins/AbC-_9" {
		t.Errorf("pathParameters = %v, rawPath %q", ev.PathParameters, ev.RawPath)
	}
	if ev := Event(r, nil, Options{}); ev.RouteKey != "ANY /pins/AbC-_9" || ev.PathParameters != nil {
		t.Errorf("without Route: routeKey %q, pathParameters %v", ev.RouteKey, ev.PathParameters)
	}
}
