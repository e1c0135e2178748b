package apitest_test

import (
	"encoding/base64"
	"encoding/json"
	"reflect"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/plexauth/plexauth/internal/api/apitest"
)

// TestEventPayload: a test event is what the local gateway's builder makes
// of the same request (cookies in their own list, content-length, a query
// that partly decodes), with the request id and time pinned and the body
// encoded only when the test says so.
func TestEventPayload(t *testing.T) {
	post := apitest.Event{Method: "POST", Path: "/signin"}
	tests := []struct {
		name    string
		event   apitest.Event
		check   func(events.APIGatewayV2HTTPRequest) bool
		explain string
	}{
		{"route and pinned context", apitest.Event{Method: "GET", Path: "/sources", Query: "source=x"},
			func(ev events.APIGatewayV2HTTPRequest) bool {
				rc := ev.RequestContext
				return ev.RouteKey == "ANY /sources" && ev.RawPath == "/sources" && rc.HTTP.Method == "GET" &&
					rc.RequestID == "apigw-req-1" && rc.TimeEpoch == 1741806238000 && rc.Time == "12/Mar/2025:19:03:58 +0000" &&
					ev.Headers["x-forwarded-proto"] == "https" && ev.Headers["user-agent"] == "apitest" &&
					reflect.DeepEqual(ev.QueryStringParameters, map[string]string{"source": "x"})
			}, "ANY /sources, GET, apigw-req-1 at a fixed time over https"},
		{"own request id", apitest.Event{Method: "GET", Path: "/sources", RequestID: "r-2"},
			func(ev events.APIGatewayV2HTTPRequest) bool { return ev.RequestContext.RequestID == "r-2" }, "request id r-2"},
		{"query keeps what decodes", apitest.Event{Method: "GET", Path: "/sources", Query: "a=1&source=%zz"},
			func(ev events.APIGatewayV2HTTPRequest) bool {
				return ev.RawQueryString == "a=1&source=%zz" && reflect.DeepEqual(ev.QueryStringParameters, map[string]string{"a": "1"})
			}, "the raw query and {a:1}"},
		{"cookies leave the headers", apitest.Event{Method: "GET", Path: "/sources"}.With("Cookie", "a=1; b=2"),
			func(ev events.APIGatewayV2HTTPRequest) bool {
				_, kept := ev.Headers["cookie"]
				return !kept && reflect.DeepEqual(ev.Cookies, []string{"a=1", "b=2"})
			}, "cookies [a=1 b=2] and no cookie header"},
		{"form as it is", post.FormBody("login=a"),
			func(ev events.APIGatewayV2HTTPRequest) bool {
				return ev.Body == "login=a" && !ev.IsBase64Encoded && ev.Headers["content-length"] == "7" &&
					ev.Headers["content-type"] == "application/x-www-form-urlencoded"
			}, "the form unencoded with its length and type"},
		{"encoded when asked", post.JSONBody(`{}`).Encoded(),
			func(ev events.APIGatewayV2HTTPRequest) bool {
				return ev.IsBase64Encoded && ev.Body == base64.StdEncoding.EncodeToString([]byte(`{}`))
			}, "the body in base64"},
		{"host header", apitest.Event{Method: "GET", Path: "/sources"}.With("Host", "api.example.com"),
			func(ev events.APIGatewayV2HTTPRequest) bool {
				return ev.Headers["host"] == "api.example.com" && ev.RequestContext.DomainName == "api.example.com"
			}, "host and domain api.example.com"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var ev events.APIGatewayV2HTTPRequest
			if err := json.Unmarshal(tt.event.JSON(), &ev); err != nil {
				t.Fatal(err)
			}
			if !tt.check(ev) {
				t.Errorf("event %+v, want %s", ev, tt.explain)
			}
		})
	}
}
