package plex

import (
	"context"
	"errors"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"
)

// results runs an operation and returns what it got.
var results = map[string]func(context.Context, *Client) (any, error){
	"transient": func(ctx context.Context, c *Client) (any, error) { return c.TransientToken(ctx, testToken) },
	"source": func(ctx context.Context, c *Client) (any, error) {
		return c.Source(ctx, testToken, SourceQuery{Source: "server://a1b2c3d4e5f6"})
	},
	"user": func(ctx context.Context, c *Client) (any, error) { return c.User(ctx, testToken) },
	"signin": func(ctx context.Context, c *Client) (any, error) {
		return c.SignIn(ctx, Credentials{Login: "alice", Password: testPassword})
	},
}

func TestSuccess(t *testing.T) {
	userNoSub := wantUser()
	userNoSub.Subscription, userNoSub.Thumb = nil, ""
	userNewEnum := wantUser()
	userNewEnum.Subscription.Status = "Paused"
	deviceNoConns := wantDevice()
	deviceNoConns.Connections = []Connection{}

	const jsonCT, xmlCT = "application/json", "application/xml"
	tests := []struct {
		name, op string
		answer   answer
		want     any
	}{
		{"transient JSON", "transient", answer{200, jsonCT, transientJSON, nil}, "transient-8f2a"},
		{"transient XML", "transient", answer{200, xmlCT, transientXML, nil}, "transient-8f2a"},
		{"transient text/xml with charset", "transient", answer{200, "text/xml;charset=utf-8", transientXML, nil}, "transient-8f2a"},
		{"transient JSON with charset", "transient", answer{200, "application/json; charset=utf-8", transientJSON, nil}, "transient-8f2a"},
		{"transient no Content-Type, JSON body", "transient", answer{200, "", transientJSON, nil}, "transient-8f2a"},
		{"transient no Content-Type, XML body", "transient", answer{200, "", transientXML, nil}, "transient-8f2a"},
		{"transient extra fields", "transient", answer{200, jsonCT, `{"MediaContainer":{"size":0,"token":"transient-8f2a","new":{"x":[1]}},"also":1}`, nil}, "transient-8f2a"},

		{"source JSON", "source", answer{200, jsonCT, resourcesJSON, nil}, wantDevice()},
		{"source XML", "source", answer{200, xmlCT, resourcesXML, nil}, wantDevice()},
		{"source Device as an array of one", "source", answer{200, jsonCT,
			strings.Replace(strings.Replace(resourcesJSON, `"Device":{`, `"Device":[{`, 1), `]}}}`, `]}]}}`, 1), nil}, wantDevice()},
		{"source JSON booleans as 0/1, port as string", "source", answer{200, jsonCT, strings.NewReplacer(
			`"local":true`, `"local":1`, `"relay":false`, `"relay":"0"`, `"port":32400`, `"port":"32400"`).Replace(resourcesJSON), nil}, wantDevice()},
		{"source extra fields and unknown protocol kept", "source", answer{200, jsonCT, strings.Replace(resourcesJSON,
			`"name":"Living Room"`, `"name":"Living Room","provides":"server","presence":true,"Extra":[{}]`, 1), nil}, wantDevice()},
		{"source without connections", "source", answer{200, jsonCT,
			`{"MediaContainer":{"Device":{"name":"Living Room","clientIdentifier":"a1b2c3d4e5f6","accessToken":"transient-dev-1"}}}`, nil}, deviceNoConns},

		{"user JSON", "user", answer{200, jsonCT, userJSON, nil}, wantUser()},
		{"user XML", "user", answer{200, xmlCT, userXML, nil}, wantUser()},
		{"user missing optional fields", "user", answer{200, jsonCT,
			`{"id":13692262,"uuid":"8f3d1b2c9a","username":"alice","email":"alice@example.com","title":"alice","friendlyName":"Alice A",
"twoFactorEnabled":false,"joinedAt":1556281940,"authToken":"account-token-1"}`, nil}, userNoSub},
		{"user unknown enum value", "user", answer{200, jsonCT, strings.Replace(userJSON, `"status":"Active"`, `"status":"Paused"`, 1), nil}, userNewEnum},
		{"user field of another type left zero", "user", answer{200, jsonCT, strings.Replace(userJSON, `"locale":null`, `"locale":{"a":1},"email2":5`, 1), nil}, wantUser()},
		{"user id as a string", "user", answer{200, jsonCT, strings.Replace(userJSON, `"id":13692262`, `"id":"13692262"`, 1), nil}, wantUser()},

		{"signin 201", "signin", answer{201, jsonCT, userJSON, nil}, wantUser()},
		{"signin 200 accepted", "signin", answer{200, jsonCT, userJSON, nil}, wantUser()},
		{"signin XML", "signin", answer{201, xmlCT, userXML, nil}, wantUser()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t, tt.answer)
			c := fakeClient(t, f)
			got, err := results[tt.op](context.Background(), c)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got  %#v\nwant %#v", got, tt.want)
			}
		})
	}
}

func TestMalformed(t *testing.T) {
	tests := []struct {
		name, op string
		answer   answer
		maxBody  int64
	}{
		{"transient without token", "transient", answer{200, "application/json", `{"MediaContainer":{"size":0}}`, nil}, 0},
		{"transient empty XML", "transient", answer{200, "application/xml", `<MediaContainer size="0"/>`, nil}, 0},
		{"transient null container", "transient", answer{200, "application/json", `{"MediaContainer":null}`, nil}, 0},
		{"transient token of another type", "transient", answer{200, "application/json", `{"MediaContainer":{"token":42}}`, nil}, 0},
		{"transient not JSON", "transient", answer{200, "application/json", `<html>oops</html>`, nil}, 0},
		{"transient not XML", "transient", answer{200, "text/xml", `{"MediaContainer":{}}`, nil}, 0},
		{"transient HTML", "transient", answer{200, "text/html", `<MediaContainer token="t"/>`, nil}, 0},
		{"transient empty body", "transient", answer{200, "application/json", ``, nil}, 0},
		{"source without device", "source", answer{200, "application/json", `{"MediaContainer":{"size":0}}`, nil}, 0},
		{"source empty device array", "source", answer{200, "application/json", `{"MediaContainer":{"Device":[]}}`, nil}, 0},
		{"source empty device", "source", answer{200, "application/json", `{"MediaContainer":{"Device":{"name":"x"}}}`, nil}, 0},
		{"source device of another type", "source", answer{200, "application/json", `{"MediaContainer":{"Device":[1]}}`, nil}, 0},
		{"source XML empty device", "source", answer{200, "application/xml", `<MediaContainer><Device/></MediaContainer>`, nil}, 0},
		{"source device as a string", "source", answer{200, "application/json", `{"MediaContainer":{"Device":"x"}}`, nil}, 0},
		{"source XML without device", "source", answer{200, "application/xml", `<MediaContainer size="0"/>`, nil}, 0},
		{"user without id or uuid", "user", answer{200, "application/json", `{"username":"alice"}`, nil}, 0},
		{"user XML errors body", "user", answer{200, "application/xml", `<errors><error code="1" message="m"/></errors>`, nil}, 0},
		{"signin without authToken", "signin", answer{201, "application/json", strings.Replace(userJSON, `"authToken":"account-token-1",`, ``, 1), nil}, 0},
		{"body over the limit", "user", answer{200, "application/json", userJSON + strings.Repeat(" ", 100), nil}, int64(len(userJSON) + 99)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t, tt.answer)
			c := testClient(t, Config{ServerURL: f.URL, PlexTVURL: f.URL, MaxBodyBytes: tt.maxBody})
			_, err := results[tt.op](context.Background(), c)
			if e := asError(t, err, ErrMalformedResponse); e.Status != tt.answer.status {
				t.Errorf("status %d, want %d", e.Status, tt.answer.status)
			}
			if n := len(f.requests()); n != 1 {
				t.Errorf("%d requests: a malformed answer is not retried", n)
			}
		})
	}
}

func TestBodyAtLimit(t *testing.T) {
	f := newFake(t, answer{200, "application/json", userJSON, nil})
	c := testClient(t, Config{PlexTVURL: f.URL, MaxBodyBytes: int64(len(userJSON))})
	if _, err := c.User(context.Background(), testToken); err != nil {
		t.Fatalf("a body of exactly MaxBodyBytes: %v", err)
	}
}

// TestTruncatedBody: the server promises more bytes than it sends.
func TestTruncatedBody(t *testing.T) {
	srv := newFake(t, answer{200, "application/json", "", nil})
	srv.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		conn, buf, err := w.(http.Hijacker).Hijack()
		if err != nil {
			t.Error(err)
			return
		}
		_, _ = buf.WriteString("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 500\r\n\r\n" + transientJSON[:20])
		_ = buf.Flush()
		_ = conn.Close()
	})
	c := fakeClient(t, srv)
	_, err := c.TransientToken(context.Background(), testToken)
	asError(t, err, ErrMalformedResponse)
}

// allKinds is every kind an *Error can have.
var allKinds = []error{ErrInvalidInput, ErrNotConfigured, ErrBadRequest, ErrUnauthorized, ErrTwoFactorRequired,
	ErrInvalidVerificationCode, ErrIPBlocked, ErrNotFound, ErrRateLimited, ErrUpstream, ErrMalformedResponse, ErrTimeout}

func TestErrorKinds(t *testing.T) {
	const jsonCT = "application/json"
	tests := []struct {
		name, op   string
		answer     answer
		kind       error
		code       int
		message    string
		retryAfter time.Duration
	}{
		{"400 client identifier missing", "user", answer{400, jsonCT, plexTVError(1000, 400, "X-Plex-Client-Identifier is missing"), nil},
			ErrBadRequest, 1000, "X-Plex-Client-Identifier is missing", 0},
		{"400 from the server as HTML", "transient", answer{400, "text/html", "<html><body>Bad Request</body></html>", nil},
			ErrBadRequest, 0, "", 0},
		{"401 bad token", "user", answer{401, jsonCT, plexTVError(1001, 401, "User could not be authenticated"), nil},
			ErrUnauthorized, 1001, "User could not be authenticated", 0},
		{"401 without body", "user", answer{401, "", "", nil}, ErrUnauthorized, 0, "", 0},
		{"401 two-factor required", "signin", answer{401, jsonCT, plexTVError(1029, 401, "Please enter the verification code"), nil},
			ErrTwoFactorRequired, 1029, "", 0},
		{"401 wrong code", "signin", answer{401, jsonCT, plexTVError(1028, 401, "Invalid verification code"), nil},
			ErrInvalidVerificationCode, 1028, "", 0},
		{"401 IP blocked", "signin", answer{401, jsonCT, plexTVError(1031, 401, "Your IP is blocked"), nil},
			ErrIPBlocked, 1031, "", 0},
		{"401 XML two-factor", "signin", answer{401, "application/xml", `<errors><error code="1029" message="Enter the code" status="401"/></errors>`, nil},
			ErrTwoFactorRequired, 1029, "", 0},
		{"401 XML message as text", "user", answer{401, "text/xml", `<errors><error>Invalid token.</error></errors>`, nil},
			ErrUnauthorized, 0, "Invalid token.", 0},
		{"sign-in message dropped", "signin", answer{401, "text/xml", `<errors><error>Invalid email, username, or password.</error></errors>`, nil},
			ErrUnauthorized, 0, "", 0},
		{"401 old server JSON", "source", answer{401, jsonCT, plexTVError(0, 401, "Unauthorized"), nil}, ErrUnauthorized, 0, "Unauthorized", 0},
		{"403 from the server", "transient", answer{403, "text/html", "<html><h1>403 Forbidden</h1></html>", nil}, ErrUnauthorized, 0, "", 0},
		{"403 from the server for a source", "source", answer{403, "text/html", "", nil}, ErrUnauthorized, 0, "", 0},
		{"403 from plex.tv proves nothing", "user", answer{403, "text/html", "<html>blocked</html>", nil}, ErrUpstream, 0, "", 0},
		{"422 invalid token", "user", answer{422, jsonCT, plexTVError(0, 422, "Invalid token"), nil}, ErrUnauthorized, 0, "Invalid token", 0},
		{"429 seconds", "signin", answer{429, jsonCT, plexTVError(0, 429, "Too many requests"), http.Header{"Retry-After": {"120"}}},
			ErrRateLimited, 0, "", 120 * time.Second},
		{"429 without Retry-After", "signin", answer{429, "", "", nil}, ErrRateLimited, 0, "", 0},
		{"404 unknown source", "source", answer{404, "text/html", "<html>Not Found</html>", nil}, ErrNotFound, 0, "", 0},
		{"404 from plex.tv", "user", answer{404, "text/html", "<html>Not Found</html>", nil}, ErrNotFound, 0, "", 0},
		// The codes of a sign-in mean nothing else elsewhere: a 401 rejects the token.
		{"401 code 1029 to a user call", "user", answer{401, jsonCT, plexTVError(1029, 401, "x"), nil}, ErrUnauthorized, 1029, "x", 0},
		{"401 code 1028 to a user call", "user", answer{401, jsonCT, plexTVError(1028, 401, "x"), nil}, ErrUnauthorized, 1028, "x", 0},
		{"401 code 1031 to a user call", "user", answer{401, jsonCT, plexTVError(1031, 401, "x"), nil}, ErrUnauthorized, 1031, "x", 0},
		{"401 code 1031 from the server", "transient", answer{401, jsonCT, plexTVError(1031, 401, "x"), nil}, ErrUnauthorized, 1031, "x", 0},
		{"500 JSON", "user", answer{500, jsonCT, plexTVError(0, 500, "Internal error"), nil}, ErrUpstream, 0, "Internal error", 0},
		{"500 JSON from sign-in", "signin", answer{500, jsonCT, plexTVError(0, 500, "Internal error"), nil}, ErrUpstream, 0, "", 0},
		{"503 HTML", "signin", answer{503, "text/html", "<html>Service Unavailable</html>", nil}, ErrUpstream, 0, "", 0},
		{"unexpected 204", "user", answer{204, "", "", nil}, ErrUpstream, 0, "", 0},
		{"201 from a GET", "user", answer{201, jsonCT, userJSON, nil}, ErrUpstream, 0, "", 0},
		{"long message truncated", "user", answer{401, jsonCT, plexTVError(1001, 401, strings.Repeat("é", 300)), nil},
			ErrUnauthorized, 1001, strings.Repeat("é", maxMessage/2) + "...", 0},
		{"control characters in message", "user", answer{401, jsonCT, plexTVError(1001, 401, "bad\r\ntoken\x00 here"), nil},
			ErrUnauthorized, 1001, "bad  token  here", 0},
		{"Unicode line breaks and bidi controls in message", "user", answer{401, jsonCT, plexTVError(1001, 401, "bad\u0085token\u2028here\u202egnaw"), nil},
			ErrUnauthorized, 1001, "bad token here gnaw", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t, tt.answer)
			c := testClient(t, Config{ServerURL: f.URL, PlexTVURL: f.URL, Retry: RetryPolicy{MaxAttempts: 1}})
			_, err := results[tt.op](context.Background(), c)
			e := asError(t, err, tt.kind)
			if e.Status != tt.answer.status || e.Code != tt.code || e.Message != tt.message || e.RetryAfter != tt.retryAfter {
				t.Errorf("got status %d code %d message %q retryAfter %v; want %d %d %q %v",
					e.Status, e.Code, e.Message, e.RetryAfter, tt.answer.status, tt.code, tt.message, tt.retryAfter)
			}
			for _, k := range allKinds {
				if k != tt.kind && errors.Is(err, k) {
					t.Errorf("error also matches %v", k)
				}
			}
		})
	}
}

func TestTimeout(t *testing.T) {
	release := make(chan struct{})
	f := newFake(t, answer{200, "application/json", transientJSON, nil})
	f.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	})
	defer close(release)
	c := fakeClient(t, f)

	for name, ctx := range map[string]func() (context.Context, context.CancelFunc){
		"deadline passes while waiting": func() (context.Context, context.CancelFunc) {
			return context.WithTimeout(context.Background(), 50*time.Millisecond)
		},
		"already cancelled": func() (context.Context, context.CancelFunc) {
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			return ctx, cancel
		},
	} {
		for op, run := range ops {
			t.Run(name+"/"+op, func(t *testing.T) {
				ctx, cancel := ctx()
				defer cancel()
				asError(t, run(ctx, c), ErrTimeout)
			})
		}
	}
}

// TestSlowBody: the deadline passes while the body is being read.
func TestSlowBody(t *testing.T) {
	f := slowBodyFake(t)
	c := fakeClient(t, f)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err := c.TransientToken(ctx, testToken)
	asError(t, err, ErrTimeout)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("%v does not wrap context.DeadlineExceeded", err)
	}
}

// TestSlowBodyClientTimeout: http.Client.Timeout (the backstop for contexts
// without a deadline) passing while the body is read is a timeout, as it is
// before the headers arrive, not a malformed answer.
func TestSlowBodyClientTimeout(t *testing.T) {
	f := slowBodyFake(t)
	c := testClient(t, Config{ServerURL: f.URL, PlexTVURL: f.URL, HTTPClient: &http.Client{Timeout: 100 * time.Millisecond}})
	_, err := c.TransientToken(context.Background(), testToken)
	asError(t, err, ErrTimeout)
}

func TestInvalidInput(t *testing.T) {
	f := newFake(t, answer{200, "application/json", transientJSON, nil})
	c := fakeClient(t, f)
	ctx := context.Background()
	tests := []struct {
		name string
		run  func() error
	}{
		{"transient empty token", func() error { _, err := c.TransientToken(ctx, ""); return err }},
		{"transient token with newline", func() error { _, err := c.TransientToken(ctx, "tok\r\nX-Evil: 1"); return err }},
		{"source bad source", func() error { _, err := c.Source(ctx, testToken, SourceQuery{Source: "server://a&b=c"}); return err }},
		{"source empty token", func() error { _, err := c.Source(ctx, "", SourceQuery{Source: "server://abc"}); return err }},
		{"user empty token", func() error { _, err := c.User(ctx, ""); return err }},
		{"user control character", func() error { _, err := c.User(ctx, "a\x7fb"); return err }},
		{"signin empty login", func() error { _, err := c.SignIn(ctx, Credentials{Password: testPassword}); return err }},
		{"signin empty password", func() error { _, err := c.SignIn(ctx, Credentials{Login: "alice"}); return err }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if e := asError(t, tt.run(), ErrInvalidInput); e.Message == "" {
				t.Error("no message naming the problem")
			}
		})
	}
	if n := len(f.requests()); n != 0 {
		t.Errorf("%d requests sent for invalid input", n)
	}
}

// TestNotConfigured: a server call on a Client without ServerURL is the
// deployment's mistake, a kind of its own, and sends nothing.
func TestNotConfigured(t *testing.T) {
	f := newFake(t, answer{200, "application/json", transientJSON, nil})
	noServer := testClient(t, Config{PlexTVURL: f.URL})
	ctx := context.Background()
	for name, run := range map[string]func() error{
		"transient": func() error { _, err := noServer.TransientToken(ctx, testToken); return err },
		"source": func() error {
			_, err := noServer.Source(ctx, testToken, SourceQuery{Source: "server://abc"})
			return err
		},
		"warm": func() error { return noServer.Warm(ctx, ServerHost) },
	} {
		t.Run(name, func(t *testing.T) {
			err := run()
			asError(t, err, ErrNotConfigured)
			for _, k := range allKinds {
				if k != ErrNotConfigured && errors.Is(err, k) {
					t.Errorf("error also matches %v", k)
				}
			}
		})
	}
	if n := len(f.requests()); n != 0 {
		t.Errorf("%d requests sent without a server URL", n)
	}
}

// TestErrorStringsHoldNoSecrets covers errors built from Plex's answer (which
// may echo what it was sent) and from the transport (whose text holds the URL).
func TestErrorStringsHoldNoSecrets(t *testing.T) {
	echo := newFake(t, answer{401, "application/json", "", nil})
	echo.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusUnauthorized)
		msg := "bad token " + r.Header.Get("X-Plex-Token") + " or password " + r.PostFormValue("password") +
			" code " + r.PostFormValue("verificationCode")
		_, _ = w.Write([]byte(plexTVError(1001, 401, msg)))
	})
	c := fakeClient(t, echo)
	// Real sockets, so real time: a short backoff for the retried refusals.
	refused := testClient(t, Config{ServerURL: "http://" + closedAddr(t), PlexTVURL: "http://" + closedAddr(t), Retry: RetryPolicy{BaseDelay: time.Millisecond}})
	truncated := newFake(t, answer{200, "application/json", "", nil})
	truncated.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		conn, buf, _ := w.(http.Hijacker).Hijack()
		_, _ = buf.WriteString("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 99\r\n\r\n" +
			`{"authToken":"` + testToken)
		_ = buf.Flush()
		_ = conn.Close()
	})
	cut := fakeClient(t, truncated)
	xmlErr := newFake(t, answer{200, "application/xml", `<user authToken="` + testToken + `"><` + testToken + `></user>`, nil})
	bad := fakeClient(t, xmlErr)

	for name, client := range map[string]*Client{"echoing Plex": c, "connection refused": refused, "truncated body": cut, "invalid XML": bad} {
		for op, run := range ops {
			t.Run(name+"/"+op, func(t *testing.T) {
				err := run(context.Background(), client)
				if err == nil {
					t.Fatal("no error")
				}
				msg := err.Error()
				switch {
				case name == "echoing Plex" && op == "signin" && strings.Contains(msg, "bad token"):
					t.Errorf("error %q: want no message from a sign-in", msg)
				case name == "echoing Plex" && op != "signin" && !strings.Contains(msg, "[redacted]"):
					t.Errorf("error %q: want the echoed secrets redacted", msg)
				}
				for _, secret := range []string{testToken, testPassword, "123456"} {
					if strings.Contains(msg, secret) {
						t.Errorf("error %q holds a secret", msg)
					}
				}
			})
		}
	}
}

// TestConnectionReused: bodies are drained and closed, so sequential calls
// share one connection, error answers included.
func TestConnectionReused(t *testing.T) {
	f := newFake(t,
		answer{200, "application/json", transientJSON, nil},
		answer{401, "application/json", plexTVError(1001, 401, "no"), nil},
		answer{503, "text/html", strings.Repeat("x", 2000), nil},
		answer{200, "application/json", userJSON, nil},
	)
	c := testClient(t, Config{ServerURL: f.URL, PlexTVURL: f.URL, Retry: RetryPolicy{MaxAttempts: 1}})
	for _, op := range []string{"transient", "user", "user", "user"} {
		_ = ops[op](context.Background(), c)
	}
	if n := f.conns.Load(); n != 1 {
		t.Errorf("%d connections for 4 sequential calls, want 1", n)
	}
}

// slowBodyFake answers 200 with the start of a JSON body, then stalls until
// the request ends or the test does.
func slowBodyFake(t *testing.T) *fake {
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	f := newFake(t, answer{200, "application/json", "", nil})
	f.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"MediaContainer":`))
		w.(http.Flusher).Flush()
		select {
		case <-r.Context().Done():
		case <-release:
		}
	})
	return f
}

// TestTransientVerb: the client sends POST, falls back once to GET on a 404
// or 405, and then keeps the verb that worked; any other failure, or the
// other verb failing too, is not retried further.
func TestTransientVerb(t *testing.T) {
	ok := answer{200, "application/json", transientJSON, nil}
	notAllowed := answer{405, "text/html", "<html>405</html>", http.Header{"Allow": {"GET"}}}
	notFound := answer{404, "text/html", "<html>404</html>", nil}
	tests := []struct {
		name    string
		answers []answer
		want    []string // methods of the requests made by two calls
		wantErr bool     // the first call fails
	}{
		{"POST works", []answer{ok}, []string{"POST", "POST"}, false},
		{"405 then GET, kept", []answer{notAllowed, ok}, []string{"POST", "GET", "GET"}, false},
		{"404 then GET, kept", []answer{notFound, ok}, []string{"POST", "GET", "GET"}, false},
		{"both refused: POST stays", []answer{notAllowed, notAllowed, ok}, []string{"POST", "GET", "POST"}, true},
		{"403 is not a verb problem", []answer{{403, "text/html", "", nil}, ok}, []string{"POST", "POST"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t, tt.answers...)
			c := fakeClient(t, f)
			_, err := c.TransientToken(context.Background(), testToken)
			if (err != nil) != tt.wantErr {
				t.Fatalf("first call: %v, want error %v", err, tt.wantErr)
			}
			if _, err := c.TransientToken(context.Background(), testToken); err != nil {
				t.Fatalf("second call: %v", err)
			}
			var got []string
			for _, r := range f.requests() {
				got = append(got, r.Method)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("methods %v, want %v", got, tt.want)
			}
		})
	}
}
