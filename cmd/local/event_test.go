package main

import (
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
)

func TestToEvent(t *testing.T) {
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
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(tt.method, "http://example.com"+tt.target, strings.NewReader(string(tt.body)))
			for k, vs := range tt.header {
				r.Header[k] = vs
			}
			ev := toEvent(r, tt.body, now)

			path, rawQuery, _ := strings.Cut(tt.target, "?")
			rc := ev.RequestContext
			if ev.Version != "2.0" || ev.RouteKey != "ANY "+path || rc.RouteKey != ev.RouteKey ||
				ev.RawPath != path || ev.RawQueryString != rawQuery || rc.HTTP.Method != tt.method || rc.HTTP.Path != path {
				t.Errorf("version %q route %q/%q path %q query %q http %+v", ev.Version, ev.RouteKey, rc.RouteKey, ev.RawPath, ev.RawQueryString, rc.HTTP)
			}
			if rc.Stage != "$default" || rc.AccountID != "local" || rc.APIID != "local" || rc.DomainName != "example.com" ||
				rc.HTTP.SourceIP != "192.0.2.1" || rc.RequestID == "" || rc.TimeEpoch != now.UnixMilli() || rc.Time != "01/Jan/2026:00:00:02 +0000" {
				t.Errorf("request context %+v", rc)
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

func TestWriteResponse(t *testing.T) {
	tests := []struct {
		name    string
		resp    events.APIGatewayV2HTTPResponse
		status  int
		body    string
		headers http.Header
	}{
		{name: "json", resp: events.APIGatewayV2HTTPResponse{StatusCode: 403, Headers: map[string]string{"Content-Type": "application/json"}, Body: `{}`},
			status: 403, body: `{}`, headers: http.Header{"Content-Type": {"application/json"}}},
		{name: "base64 body decoded", resp: events.APIGatewayV2HTTPResponse{StatusCode: 200, Body: "aGk=", IsBase64Encoded: true},
			status: 200, body: "hi"},
		{name: "cookies and multi-value headers", resp: events.APIGatewayV2HTTPResponse{StatusCode: 200,
			Cookies: []string{"a=1", "b=2"}, MultiValueHeaders: map[string][]string{"X-Two": {"1", "2"}}},
			status: 200, headers: http.Header{"Set-Cookie": {"a=1", "b=2"}, "X-Two": {"1", "2"}}},
		{name: "no status means 200", resp: events.APIGatewayV2HTTPResponse{Body: "x"}, status: 200, body: "x"},
		{name: "bad base64", resp: events.APIGatewayV2HTTPResponse{StatusCode: 200, Body: "!", IsBase64Encoded: true},
			status: 500, body: `{"message":"Internal Server Error"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := httptest.NewRecorder()
			writeResponse(w, tt.resp)
			if w.Code != tt.status || w.Body.String() != tt.body {
				t.Errorf("got %d %q, want %d %q", w.Code, w.Body, tt.status, tt.body)
			}
			for k, v := range tt.headers {
				if got := w.Header().Values(k); !reflect.DeepEqual(got, v) {
					t.Errorf("header %s = %v, want %v", k, got, v)
				}
			}
		})
	}
}
