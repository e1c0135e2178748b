package apitest

import (
	"encoding/json"
	"maps"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/plexauth/plexauth/devtools/apigw"
)

// Event describes a request; JSON renders it as API Gateway would send it.
type Event struct {
	Method    string
	Path      string
	Route     string            // the template's path when it has parameters ("/pins/{id}"); "": Path
	Query     string            // raw query string, e.g. "source=server%3A%2F%2Fabc"
	Headers   map[string]string // names are lower-cased, as API Gateway does
	Body      string
	Base64    bool   // send Body base64-encoded with isBase64Encoded
	RequestID string // API Gateway's requestContext.requestId; default "apigw-req-1"
}

// Authorized returns a copy of e with the test caller's Authorization header.
func (e Event) Authorized() Event { return e.With("Authorization", "Bearer "+CallerKey) }

// With returns a copy of e with one more header.
func (e Event) With(name, value string) Event {
	h := maps.Clone(e.Headers)
	if h == nil {
		h = map[string]string{}
	}
	h[strings.ToLower(name)] = value
	e.Headers = h
	return e
}

// The fixed parts of every test event: API Gateway's address, the caller's,
// and a request id and time, so that a run reads the same every time.
const (
	gatewayHost = "abc123.execute-api.us-east-1.amazonaws.com"
	callerAddr  = "192.0.2.10:54321"
	requestID   = "apigw-req-1"
)

var requestTime = time.Date(2025, 3, 12, 19, 3, 58, 0, time.UTC)

// Request returns e as the HTTPS request a caller sends API Gateway.
func (e Event) Request() *http.Request {
	r := httptest.NewRequest(http.MethodGet, "https://"+gatewayHost+"/", nil)
	r.Method = e.Method // as it is: a test may send one no client would
	r.URL.Path, r.URL.RawQuery = e.Path, e.Query
	r.RemoteAddr = callerAddr
	r.ContentLength = int64(len(e.Body))
	r.Header.Set("User-Agent", "apitest")
	for k, v := range e.Headers {
		if strings.EqualFold(k, "host") {
			r.Host = v
			continue
		}
		r.Header.Set(k, v)
	}
	return r
}

// Payload returns e as the payload 2.0 event API Gateway sends the function:
// its body base64-encoded only when e says so.
func (e Event) Payload() events.APIGatewayV2HTTPRequest {
	reqID := e.RequestID
	if reqID == "" {
		reqID = requestID
	}
	opt := apigw.Options{RequestID: reqID, Time: requestTime, Encoding: apigw.Plain, Route: e.Route}
	if e.Base64 {
		opt.Encoding = apigw.Base64
	}
	return apigw.Event(e.Request(), []byte(e.Body), opt)
}

// JSON is Payload as the JSON the Lambda runtime receives.
func (e Event) JSON() []byte {
	b, err := json.Marshal(e.Payload())
	if err != nil {
		panic(err) // strings and maps of strings: cannot happen
	}
	return b
}

// WithBody returns a copy of e with a body and, unless contentType is
// empty, its Content-Type.
func (e Event) WithBody(contentType, body string) Event {
	e.Body = body
	if contentType != "" {
		e = e.With("Content-Type", contentType)
	}
	return e
}

// JSONBody is WithBody for application/json.
func (e Event) JSONBody(body string) Event { return e.WithBody("application/json", body) }

// FormBody is WithBody for application/x-www-form-urlencoded.
func (e Event) FormBody(body string) Event {
	return e.WithBody("application/x-www-form-urlencoded", body)
}

// Encoded returns a copy of e whose body API Gateway base64-encodes.
func (e Event) Encoded() Event {
	e.Base64 = true
	return e
}
