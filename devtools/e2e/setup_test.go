package e2e

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/plexauth/plexauth/devtools/runtimeapi"
	"github.com/plexauth/plexauth/internal/api/apitest"
	"github.com/plexauth/plexauth/internal/redact/redacttest"
	"github.com/plexauth/plexauth/internal/secret/secrettest"
	"github.com/plexauth/plexauth/pkg/plex/plextest"
)

// The callers in every secret made here: "ci" for the scenarios and "local",
// whose key the sample events in events/ carry.
const (
	ciKey    = "e2e-ci-caller-key-0001"
	localKey = "local-dev-key-change-me"
)

// invokeTimeout is each invocation's Lambda timeout. It is generous so a
// loaded machine cannot turn a slow answer into a 504; no case waits for it.
const invokeTimeout = 10 * time.Second

// secretJSON is the function's secret: the admin token and both callers.
func secretJSON(adminToken string) string {
	return apitest.SecretJSONWith(adminToken, apitest.Caller{Name: "ci", Key: ciKey}, apitest.Caller{Name: "local", Key: localKey})
}

// functionEnv is what the template sets for a function, pointed at the
// simulator and at a Secrets Manager endpoint with dummy credentials.
func functionEnv(name, plexURL, smEndpoint, secretID string) []string {
	return append(secrettest.Env(smEndpoint),
		"AWS_LAMBDA_FUNCTION_NAME=plexauth-"+name,
		"PLEX_SERVER_URL="+plexURL,
		"PLEX_TV_URL="+plexURL,
		"PLEX_SECRET_ARN="+secretID,
		"PLEX_CLIENT_IDENTIFIER=plexauth-e2e",
		"AWS_LAMBDA_LOG_LEVEL=DEBUG", // Lambda sets it from LoggingConfig.ApplicationLogLevel
		// The scenarios sign one caller in more often than a caller may (the
		// rate has its own tests); the other sign-in limits keep their defaults.
		"SIGNIN_CALLER_RATE=0",
	)
}

// function describes one Lambda function for the tables.
type function struct {
	name     string         // functions/<name>, events/<name>.json
	route    plextest.Route // where its Plex call goes: faults are armed there
	admin    bool           // its Plex call uses the admin token, so a rotation refetches the secret
	ok       apitest.Event  // a request that succeeds, without Authorization
	okStatus int            // its status; 0: 200
	check    func(t *testing.T, a answer)
}

// success is the status of f's successful answers.
func (f function) success() int {
	if f.okStatus != 0 {
		return f.okStatus
	}
	return 200
}

func (f function) pkg() string { return "functions/" + f.name }

var functions = []function{
	{name: "transient", route: plextest.RouteTransient, admin: true,
		ok: apitest.Event{Method: "POST", Path: "/transient-token"}, check: transientOK},
	{name: "sources", route: plextest.RouteResources, admin: true,
		ok:    apitest.Event{Method: "GET", Path: "/sources", Query: "source=server%3A%2F%2F" + plextest.ServerID},
		check: deviceOK(plextest.ServerID)},
	{name: "details", route: plextest.RouteUser, admin: true,
		ok: apitest.Event{Method: "GET", Path: "/token-details"}, check: detailsOK(true, plextest.AdminLogin)},
	{name: "signin", route: plextest.RouteSignIn,
		ok:    apitest.Event{Method: "POST", Path: "/signin"}.JSONBody(`{"login":"alice","password":"correct-horse-battery"}`),
		check: signInOK(plextest.UserToken, plextest.UserLogin)},
	{name: "servers", route: plextest.RouteDevices, admin: true,
		ok: apitest.Event{Method: "GET", Path: "/servers"}, check: serversOK},
	// GET /pins/{id} needs a PIN first and polls are spaced: TestPinFlow.
	{name: "pins", route: plextest.RoutePins, okStatus: 201,
		ok: apitest.Event{Method: "POST", Path: "/pins"}, check: pinCreated},
}

// answer is a function's response with its error envelope decoded.
type answer struct {
	RequestID string // the Lambda request id
	Status    int
	Headers   map[string]string
	Body      string
	Error     apitest.ErrorBody
}

func (a answer) decode(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal([]byte(a.Body), v); err != nil {
		t.Fatalf("body %q: %v", a.Body, err)
	}
}

// instance is a running bootstrap and what was sent to it, for the log checks.
type instance struct {
	srv  *runtimeapi.Server
	proc *runtimeapi.Process

	mu     sync.Mutex
	ids    []string // Lambda request ids, one per invocation
	hidden []string // bodies sent, tokens answered: none may be logged
}

// start builds (once per test binary) and runs the function with env.
func start(t *testing.T, f function, env []string) *instance {
	t.Helper()
	srv, proc := runtimeapi.Run(t, runtimeapi.Build(t, f.pkg()), env...)
	return &instance{srv: srv, proc: proc}
}

// invoke sends one event and checks what every answer carries: a response
// (never a function error) with status, Content-Type and Cache-Control
// headers, a JSON body, and for an error the envelope with the Lambda
// request id.
func (in *instance) invoke(t *testing.T, event []byte) answer {
	t.Helper()
	res, err := in.srv.Invoke(t.Context(), event, invokeTimeout)
	in.record(res.RequestID, event, res.Payload)
	if err != nil {
		t.Fatalf("invoke: %v\n%s", err, in.proc.Output())
	}
	if res.Err != nil {
		t.Fatalf("function error %s: %s", res.Err.Type, res.Err.Message)
	}
	var raw events.APIGatewayV2HTTPResponse
	if err := json.Unmarshal(res.Payload, &raw); err != nil {
		t.Fatalf("payload %q: %v", res.Payload, err)
	}
	a := answer{RequestID: res.RequestID, Status: raw.StatusCode, Headers: raw.Headers, Body: raw.Body}
	if got := a.Headers["Content-Type"]; got != "application/json" {
		t.Errorf("Content-Type = %q, want application/json", got)
	}
	if got := a.Headers["Cache-Control"]; got != "no-store" {
		t.Errorf("Cache-Control = %q, want no-store", got)
	}
	if raw.IsBase64Encoded || !json.Valid([]byte(a.Body)) {
		t.Fatalf("body is not plain JSON: base64 %v, %q", raw.IsBase64Encoded, a.Body)
	}
	if a.Status >= 300 { // 201 is POST /pins' answer
		var env struct{ Error *apitest.ErrorBody }
		a.decode(t, &env)
		if env.Error == nil || env.Error.Code == "" || env.Error.Message == "" || env.Error.RequestID != a.RequestID {
			t.Fatalf("status %d body %s: want the error envelope with the Lambda request id %s", a.Status, a.Body, a.RequestID)
		}
		a.Error = *env.Error
	}
	return a
}

// record keeps what the log checks look for: the request id, the raw body
// sent and any token in the answer.
func (in *instance) record(id string, event, payload []byte) {
	var ev struct{ Body string }
	_ = json.Unmarshal(event, &ev)
	var resp struct{ Body string }
	_ = json.Unmarshal(payload, &resp)
	in.mu.Lock()
	defer in.mu.Unlock()
	in.ids = append(in.ids, id)
	if len(ev.Body) >= 8 { // shorter bodies ("{}") could match by chance
		in.hidden = append(in.hidden, ev.Body)
	}
	in.hidden = append(in.hidden, apitest.AnswerTokens(resp.Body)...)
}

// logLine is one line of the function's output.
type logLine struct {
	raw    string
	fields map[string]any // nil if the line is not JSON
}

// lines splits the function's stdout and stderr into lines.
func (in *instance) lines() []logLine {
	var out []logLine
	for l := range strings.Lines(string(in.proc.Output())) {
		l = strings.TrimSpace(l)
		if l == "" {
			continue
		}
		var m map[string]any
		if json.Unmarshal([]byte(l), &m) != nil {
			m = nil
		}
		out = append(out, logLine{raw: l, fields: m})
	}
	return out
}

// text is what a leak check searches: for a JSON line its keys and string
// values except the timestamp, whose digits could match a short value such
// as the 2FA code by chance; otherwise the line itself.
func (l logLine) text() string {
	if l.fields == nil {
		return l.raw
	}
	var b strings.Builder
	var walk func(any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			for k, x := range v {
				b.WriteString(k + "\n")
				walk(x)
			}
		case []any:
			for _, x := range v {
				walk(x)
			}
		case string:
			b.WriteString(v + "\n")
		}
	}
	fields := make(map[string]any, len(l.fields))
	for k, v := range l.fields {
		if k != "time" {
			fields[k] = v
		}
	}
	walk(fields)
	return b.String()
}

// checkLogs asserts that no value in secrets (nor any body sent or token
// answered) appears in the function's output, and that every invocation
// produced exactly one request line carrying its request id.
func (in *instance) checkLogs(t *testing.T, secrets ...string) {
	t.Helper()
	in.mu.Lock()
	ids, hidden := slices.Clone(in.ids), append(slices.Clone(in.hidden), secrets...)
	in.mu.Unlock()

	lines := in.lines()
	if len(lines) == 0 {
		t.Fatal("the function logged nothing")
	}
	perID := map[string]int{}
	requests := 0
	for _, l := range lines {
		text := l.text()
		for _, s := range hidden {
			if leaks(text, s) {
				t.Errorf("log holds a secret value (%d chars, starts %q): %s", len(s), s[:min(4, len(s))], l.raw)
			}
		}
		if l.fields == nil {
			t.Errorf("log line is not JSON: %s", l.raw)
			continue
		}
		if l.fields["message"] == "request" {
			requests++
			id, _ := l.fields["requestId"].(string)
			perID[id]++
		}
	}
	for _, id := range ids {
		if perID[id] != 1 {
			t.Errorf("invocation %s has %d request log lines, want 1", id, perID[id])
		}
	}
	if requests != len(ids) {
		t.Errorf("%d request log lines for %d invocations", requests, len(ids))
	}
}

// leaks reports whether text holds s in any of its encodings. A number (the
// 2FA code) only counts standing alone: the account id in every ARN holds
// its digits.
func leaks(text, s string) bool {
	if s == "" {
		return false
	}
	if strings.Trim(s, "0123456789") != "" {
		_, ok := redacttest.Leak(text, s)
		return ok
	}
	isDigit := func(b byte) bool { return '0' <= b && b <= '9' }
	for i := 0; ; {
		j := strings.Index(text[i:], s)
		if j < 0 {
			return false
		}
		start, end := i+j, i+j+len(s)
		if (start == 0 || !isDigit(text[start-1])) && (end == len(text) || !isDigit(text[end])) {
			return true
		}
		i = start + 1
	}
}

// requestLine returns the request log line of one invocation.
func (in *instance) requestLine(t *testing.T, id string) map[string]any {
	t.Helper()
	for _, l := range in.lines() {
		if l.fields != nil && l.fields["message"] == "request" && l.fields["requestId"] == id {
			return l.fields
		}
	}
	t.Fatalf("no request log line for %s", id)
	return nil
}

// count returns how many JSON log lines have the message msg.
func (in *instance) count(msg string) int {
	n := 0
	for _, l := range in.lines() {
		if l.fields != nil && l.fields["message"] == msg {
			n++
		}
	}
	return n
}

// running reports whether the process is still up.
func (in *instance) running() bool {
	select {
	case <-in.proc.Exited():
		return false
	default:
		return true
	}
}

// moduleRoot is the directory holding go.mod, above the test's directory.
func moduleRoot(t *testing.T) string {
	t.Helper()
	root, err := runtimeapi.ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	return root
}

// waitExit waits for the process to end on its own; the bound only keeps a
// broken function from hanging the test.
func waitExit(t *testing.T, in *instance) error {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	select {
	case <-in.proc.Exited():
		return in.proc.ExitErr()
	case <-ctx.Done():
		t.Fatal("the process did not exit")
		return errors.New("unreachable")
	}
}

// TestLeaks checks the log check itself: a value must be found wherever it
// stands, except a number inside a longer one.
func TestLeaks(t *testing.T) {
	tests := []struct {
		text, value string
		want        bool
	}{
		{`{"error":"token sim-admin-token-0001 rejected"}`, "sim-admin-token-0001", true},
		{`{"message":"request"}`, "sim-admin-token-0001", false},
		{`{"code":"123456"}`, "123456", true},
		{`code 123456, again`, "123456", true},
		{`arn:aws:secretsmanager:us-east-1:123456789012:secret:x`, "123456", false},
		{`9123456 and 1234567`, "123456", false},
		{`9123456 then 123456`, "123456", true},
		{`anything`, "", false},
		{`{"error":"password p%40ss%2Bw+rd rejected"}`, "p@ss+w rd", true},
		{`{"error":"token c2ltLWFkbWluLXRva2VuLTAwMDE rejected"}`, "sim-admin-token-0001", true},
		{`{"error":"p\u00e4ss"}`, "päss", true},
	}
	for _, tt := range tests {
		if got := leaks(tt.text, tt.value); got != tt.want {
			t.Errorf("leaks(%q, %q) = %v, want %v", tt.text, tt.value, got, tt.want)
		}
	}
}
