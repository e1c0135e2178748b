package apitest

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/plexauth/plexauth/internal/api"
	"github.com/plexauth/plexauth/internal/redact/redacttest"
)

// Response is a handler's answer with its error envelope decoded.
type Response struct {
	Status  int
	Headers map[string]string
	Body    string
	Error   ErrorBody // zero unless the body is an error envelope
}

// ErrorBody is the error envelope's content.
type ErrorBody struct {
	Code      string `json:"code"`
	Message   string `json:"message"`
	RequestID string `json:"requestId"`
	PlexCode  int    `json:"plexCode"`
}

// Decode unmarshals the body into v, failing the test if it cannot.
func (r Response) Decode(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal([]byte(r.Body), v); err != nil {
		t.Fatalf("response body %q: %v", r.Body, err)
	}
}

// DefaultLambdaRequestID is the Lambda request id Invoke gives a ctx that
// has none.
const DefaultLambdaRequestID = "lambda-req-1"

// Invoke runs h on the event JSON through lambda.NewHandler, as the Lambda
// runtime would (with a Lambda request id in ctx), and checks what every response must carry: no Go error, a
// JSON body, Content-Type and Cache-Control, and for errors the envelope
// with a request id.
func Invoke(t testing.TB, ctx context.Context, h *api.Handler, event []byte) Response {
	t.Helper()
	if _, ok := lambdacontext.FromContext(ctx); !ok {
		// The runtime always gives one; the log lines take their requestId from it.
		ctx = LambdaContext(ctx, DefaultLambdaRequestID)
	}
	out, err := lambda.NewHandler(h.Handle).Invoke(ctx, event)
	if err != nil {
		t.Fatalf("handler returned an error to the runtime: %v", err)
	}
	var raw events.APIGatewayV2HTTPResponse
	if err := json.Unmarshal(out, &raw); err != nil {
		t.Fatalf("handler output %q: %v", out, err)
	}
	r := Response{Status: raw.StatusCode, Headers: raw.Headers, Body: raw.Body}
	if got := r.Headers["Content-Type"]; got != "application/json" {
		t.Errorf("Content-Type = %q, want application/json", got)
	}
	if got := r.Headers["Cache-Control"]; got != "no-store" {
		t.Errorf("Cache-Control = %q, want no-store", got)
	}
	if !json.Valid([]byte(r.Body)) {
		t.Fatalf("body is not JSON: %q", r.Body)
	}
	if r.Status >= 300 { // 200, and 201 for what an Op creates, are answers, not errors
		var env struct {
			Error *ErrorBody `json:"error"`
		}
		r.Decode(t, &env)
		if env.Error == nil || env.Error.Code == "" || env.Error.Message == "" || env.Error.RequestID == "" {
			t.Fatalf("status %d body %q: want the error envelope with code, message and requestId", r.Status, r.Body)
		}
		r.Error = *env.Error
	}
	var ev events.APIGatewayV2HTTPRequest
	if err := json.Unmarshal(event, &ev); err != nil {
		t.Fatalf("event %q: %v", event, err)
	}
	observers.mu.Lock()
	fs := observers.fs
	observers.mu.Unlock()
	for _, f := range fs {
		f(t, ev, r)
	}
	return r
}

// observers are called by Invoke with every answer; see Observe.
var observers struct {
	mu sync.Mutex
	fs []func(testing.TB, events.APIGatewayV2HTTPRequest, Response)
}

// Observe has f called with every event Invoke sends and the answer it got,
// for the rest of the test binary: a package's TestMain checks every answer
// its tables produce against the API description this way.
func Observe(f func(t testing.TB, ev events.APIGatewayV2HTTPRequest, r Response)) {
	observers.mu.Lock()
	defer observers.mu.Unlock()
	observers.fs = append(observers.fs, f)
}

// LogBuffer collects a JSON slog logger's lines; safe for concurrent use.
type LogBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

// NewLogger returns the functions' logger (api.NewLogger) at debug level,
// writing to a new LogBuffer.
func NewLogger() (*slog.Logger, *LogBuffer) {
	b := &LogBuffer{}
	return api.NewLogger(b, func(string) string { return "DEBUG" }), b
}

func (b *LogBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// String returns everything logged so far.
func (b *LogBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// Lines decodes every line, failing the test on one that is not JSON.
func (b *LogBuffer) Lines(t testing.TB) []map[string]any {
	t.Helper()
	var out []map[string]any
	for line := range strings.Lines(b.String()) {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("log line %q is not JSON: %v", line, err)
		}
		out = append(out, m)
	}
	return out
}

// CheckLog asserts that the buffer holds exactly one request line for a
// response with the given status, carrying the fields every line has and
// the request's metrics (CheckMetrics), and that none of the secrets appears
// anywhere in it, in any encoding.
func (b *LogBuffer) CheckLog(t testing.TB, status int, secrets ...string) map[string]any {
	t.Helper()
	text := b.String()
	for _, s := range secrets {
		if form, ok := redacttest.Leak(text, s); ok {
			t.Errorf("log holds a secret value %q as %q:\n%s", s, form, text)
		}
	}
	lines := b.Lines(t)
	if len(lines) != 1 {
		t.Fatalf("got %d log lines, want 1:\n%s", len(lines), text)
	}
	line := lines[0]
	for _, f := range []string{"requestId", "route", "method", "caller", "status", "duration_ms"} {
		if _, ok := line[f]; !ok {
			t.Errorf("log line lacks %q: %s", f, text)
		}
	}
	if got, _ := line["status"].(float64); int(got) != status {
		t.Errorf("log status = %v, want %d", line["status"], status)
	}
	CheckMetrics(t, []byte(text), line, status)
	return line
}

// Names checks that the error message starts with the field at fault.
func Names(field string) func(*testing.T, Response) {
	return func(t *testing.T, r Response) {
		t.Helper()
		if !strings.HasPrefix(r.Error.Message, field+" ") {
			t.Errorf("message %q does not name %q", r.Error.Message, field)
		}
	}
}
