package main

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

// maxBody is API Gateway's payload limit; the handlers enforce their own,
// smaller one on what gets through.
const maxBody = 10 << 20

// toEvent turns r and its body into the event API Gateway HTTP API sends
// with payload format 2.0 for the route ANY <path>, as the template declares.
func toEvent(r *http.Request, body []byte, now time.Time) events.APIGatewayV2HTTPRequest {
	routeKey := "ANY " + r.URL.Path
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
	headers["x-forwarded-proto"] = "http"
	if a, ok := r.Context().Value(http.LocalAddrContextKey).(net.Addr); ok {
		if _, port, err := net.SplitHostPort(a.String()); err == nil {
			headers["x-forwarded-port"] = port
		}
	}

	ev := events.APIGatewayV2HTTPRequest{
		Version:               "2.0",
		RouteKey:              routeKey,
		RawPath:               r.URL.EscapedPath(),
		RawQueryString:        r.URL.RawQuery,
		Cookies:               cookies,
		Headers:               headers,
		QueryStringParameters: joinQuery(r.URL.RawQuery),
		RequestContext: events.APIGatewayV2HTTPRequestContext{
			RouteKey:     routeKey,
			AccountID:    "local",
			Stage:        "$default",
			RequestID:    requestID(),
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
		if isText(r.Header.Get("Content-Type")) {
			ev.Body = string(body)
		} else {
			ev.Body, ev.IsBase64Encoded = base64.StdEncoding.EncodeToString(body), true
		}
	}
	return ev
}

// joinQuery decodes the query as API Gateway does: repeated names joined
// with commas, nil when there is none.
func joinQuery(raw string) map[string]string {
	q, _ := url.ParseQuery(raw) // keep what parses, as API Gateway does
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
// passed as they are; everything else, forms included, arrives in base64.
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

// writeResponse sends the handler's answer as API Gateway would.
func writeResponse(w http.ResponseWriter, resp events.APIGatewayV2HTTPResponse) {
	h := w.Header()
	for k, v := range resp.Headers {
		h.Set(k, v)
	}
	for k, vs := range resp.MultiValueHeaders {
		for _, v := range vs {
			h.Add(k, v)
		}
	}
	for _, c := range resp.Cookies {
		h.Add("Set-Cookie", c)
	}
	body := []byte(resp.Body)
	if resp.IsBase64Encoded {
		var err error
		if body, err = base64.StdEncoding.DecodeString(resp.Body); err != nil {
			writeMessage(w, http.StatusInternalServerError, "Internal Server Error")
			return
		}
	}
	status := resp.StatusCode
	if status == 0 {
		status = http.StatusOK
	}
	w.WriteHeader(status)
	w.Write(body)
}

// writeMessage is API Gateway's own error shape, as in {"message":"Not Found"},
// with the no-store every answer here carries.
func writeMessage(w http.ResponseWriter, status int, message string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write([]byte(`{"message":"` + message + `"}`))
}
