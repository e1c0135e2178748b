package main

import (
	"net/http"
	"net/http/httptest"
	"reflect"
	"testing"

	"github.com/aws/aws-lambda-go/events"
)

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
