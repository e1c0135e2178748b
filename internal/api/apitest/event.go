package apitest

import (
	"encoding/base64"
	"encoding/json"
	"maps"
	"net/url"
	"strings"
)

// Event describes a request; JSON renders it as API Gateway would send it.
type Event struct {
	Method    string
	Path      string
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

// JSON renders e as an API Gateway HTTP API payload 2.0 event: lower-case
// headers, decoded query parameters with repeated keys joined by commas, the
// method and path under requestContext.http.
func (e Event) JSON() []byte {
	headers := map[string]string{
		"host":              "abc123.execute-api.us-east-1.amazonaws.com",
		"user-agent":        "apitest",
		"x-forwarded-for":   "192.0.2.10",
		"x-forwarded-port":  "443",
		"x-forwarded-proto": "https",
	}
	for k, v := range e.Headers {
		headers[strings.ToLower(k)] = v
	}
	routeKey := "ANY " + e.Path // every route is declared on ANY
	reqID := e.RequestID
	if reqID == "" {
		reqID = "apigw-req-1"
	}
	ev := map[string]any{
		"version":        "2.0",
		"routeKey":       routeKey,
		"rawPath":        e.Path,
		"rawQueryString": e.Query,
		"headers":        headers,
		"requestContext": map[string]any{
			"accountId":    "123456789012",
			"apiId":        "abc123",
			"domainName":   "abc123.execute-api.us-east-1.amazonaws.com",
			"domainPrefix": "abc123",
			"http": map[string]any{
				"method":    e.Method,
				"path":      e.Path,
				"protocol":  "HTTP/1.1",
				"sourceIp":  "192.0.2.10",
				"userAgent": "apitest",
			},
			"requestId": reqID,
			"routeKey":  routeKey,
			"stage":     "$default",
			"time":      "12/Mar/2025:19:03:58 +0000",
			"timeEpoch": 1741806238000,
		},
		"isBase64Encoded": e.Base64,
	}
	if q := queryParameters(e.Query); q != nil {
		ev["queryStringParameters"] = q
	}
	if e.Body != "" {
		body := e.Body
		if e.Base64 {
			body = base64.StdEncoding.EncodeToString([]byte(body))
		}
		ev["body"] = body
	}
	b, err := json.Marshal(ev)
	if err != nil {
		panic(err) // maps of strings: cannot happen
	}
	return b
}

func queryParameters(raw string) map[string]string {
	v, err := url.ParseQuery(raw)
	if err != nil || len(v) == 0 {
		return nil
	}
	out := make(map[string]string, len(v))
	for k, vs := range v {
		out[k] = strings.Join(vs, ",")
	}
	return out
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
