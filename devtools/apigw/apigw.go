// Package apigw builds the event API Gateway HTTP API sends a function with
// payload format 2.0, from an *http.Request. It is the one builder: the
// local gateway (cmd/local) and the test helpers (apitest.Event) both use
// it. It does not ship: no function links it.
package apigw

import (
	"crypto/rand"
	"encoding/base64"
	"mime"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"
)

// Encoding says how the body goes into the event.
type Encoding int

const (
	// ByType is API Gateway's rule: text/* and JSON bodies as they are,
	// everything else, forms included, in base64.
	ByType Encoding = iota
	// Plain sends every body as it is, as sam local and other callers may.
	Plain
	// Base64 sends every body base64-encoded.
	Base64
)

// Options are what a test pins and the local gateway leaves to chance.
type Options struct {
	RequestID string    // requestContext.requestId; "": random, in API Gateway's shape
	Time      time.Time // requestContext.time; zero: now
	Encoding  Encoding
	// Route is the template's path the request matched, such as
	// "/pins/{id}": the route key names it and its parameters are filled
	// from the request's path. "": the request's path, without parameters.
	Route string
}

// Match reports whether path matches the route template, whose "{name}"
// segments each match one non-empty segment, and returns those parameters
// (nil for a route without any), as API Gateway fills pathParameters.
func Match(template, path string) (map[string]string, bool) {
	want, got := strings.Split(template, "/"), strings.Split(path, "/")
	if len(want) != len(got) {
		return nil, false
	}
	var params map[string]string
	for i, w := range want {
		name, isParam := strings.CutPrefix(w, "{")
		if name, ok := strings.CutSuffix(name, "}"); isParam && ok {
			if got[i] == "" {
				return nil, false
			}
			if params == nil {
				params = map[string]string{}
			}
			params[name] = got[i]
			continue
		}
		if w != got[i] {
			return nil, false
		}
	}
	return params, true
}

// Event turns r and its body into the event for the route ANY <path> (or
// ANY opt.Route), as the template declares every route.
func Event(r *http.Request, body []byte, opt Options) events.APIGatewayV2HTTPRequest {
	route := opt.Route
	if route == "" {
		route = r.URL.Path
	}
	params, _ := Match(route, r.URL.Path)
	routeKey := "ANY " + route
	headers := map[string]string{}
	var cookies []string
	for name, vals := range r.Header {
		name = strings.ToLower(name)
		if name == "cookie" {
			// 2.0 moves cookies out of the headers into their own list.
			for _, v := range vals {
				for c := range strings.SplitSeq(v, ";") {
					if c = strings.TrimSpace(c); c != "" {
						cookies = append(cookies, c)
					}
				}
			}
			continue
		}
		headers[name] = strings.Join(vals, ",")
	}
	// Go keeps these outside r.Header; API Gateway passes them on.
	headers["host"] = r.Host
	if r.ContentLength > 0 {
		headers["content-length"] = strconv.FormatInt(r.ContentLength, 10)
	}
	sourceIP := remoteIP(r.RemoteAddr)
	headers["x-forwarded-for"] = sourceIP
	headers["x-forwarded-proto"], headers["x-forwarded-port"] = "http", "80"
	if r.TLS != nil {
		headers["x-forwarded-proto"], headers["x-forwarded-port"] = "https", "443"
	}
	if a, ok := r.Context().Value(http.LocalAddrContextKey).(net.Addr); ok {
		if _, port, err := net.SplitHostPort(a.String()); err == nil {
			headers["x-forwarded-port"] = port
		}
	}

	now := opt.Time
	if now.IsZero() {
		now = time.Now()
	}
	reqID := opt.RequestID
	if reqID == "" {
		reqID = requestID()
	}
	ev := events.APIGatewayV2HTTPRequest{
		Version:               "2.0",
		RouteKey:              routeKey,
		RawPath:               r.URL.EscapedPath(),
		RawQueryString:        r.URL.RawQuery,
		Cookies:               cookies,
		Headers:               headers,
		QueryStringParameters: joinQuery(r.URL.RawQuery),
		PathParameters:        params,
		RequestContext: events.APIGatewayV2HTTPRequestContext{
			RouteKey:     routeKey,
			AccountID:    "local",
			Stage:        "$default",
			RequestID:    reqID,
			APIID:        "local",
			DomainName:   r.Host,
			DomainPrefix: strings.Split(r.Host, ".")[0],
			Time:         now.UTC().Format("02/Jan/2006:15:04:05 -0700"),
			TimeEpoch:    now.UnixMilli(),
			HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{
				Method:    r.Method,
				Path:      r.URL.Path,
				Protocol:  r.Proto,
				SourceIP:  sourceIP,
				UserAgent: r.UserAgent(),
			},
		},
	}
	if len(body) > 0 {
		encode := opt.Encoding == Base64 || opt.Encoding == ByType && !isText(r.Header.Get("Content-Type"))
		if encode {
			ev.Body, ev.IsBase64Encoded = base64.StdEncoding.EncodeToString(body), true
		} else {
			ev.Body = string(body)
		}
	}
	return ev
}

// joinQuery decodes the query as API Gateway does: repeated names joined
// with commas, pairs that do not decode left out, nil when none is left
// (the handler then reads, and rejects, the raw query string).
func joinQuery(raw string) map[string]string {
	q, _ := url.ParseQuery(raw) // keep what parses
	if len(q) == 0 {
		return nil
	}
	out := make(map[string]string, len(q))
	for k, vs := range q {
		out[k] = strings.Join(vs, ",")
	}
	return out
}

// isText follows API Gateway HTTP API: only text/* and JSON bodies are
// passed as they are.
func isText(contentType string) bool {
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		return false
	}
	return strings.HasPrefix(mt, "text/") || mt == "application/json" || strings.HasSuffix(mt, "+json")
}

func remoteIP(addr string) string {
	if host, _, err := net.SplitHostPort(addr); err == nil {
		return host
	}
	return addr
}

// requestID looks like API Gateway's: 10 random bytes in base64.
func requestID() string {
	b := make([]byte, 10)
	rand.Read(b)
	return base64.StdEncoding.EncodeToString(b)
}
