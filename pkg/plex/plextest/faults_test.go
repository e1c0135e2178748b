package plextest_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"encoding/xml"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/plexauth/plexauth/pkg/plex/plextest"
)

var userCall = call{method: "GET", path: "/api/v2/user", token: plextest.UserToken}

// fetch is do without failing on transport or body errors: faults cause them.
func fetch(srv *plextest.Server, req *http.Request) (status int, header http.Header, body []byte, err error) {
	resp, err := srv.Client().Do(req)
	if err != nil {
		return 0, nil, nil, err
	}
	defer resp.Body.Close()
	body, err = io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, body, err
}

func TestFaults(t *testing.T) {
	tests := []struct {
		name  string
		route plextest.Route
		fault plextest.Fault
		call  call
		check func(t *testing.T, status int, h http.Header, body []byte, err error)
	}{
		{name: "status with Retry-After", route: plextest.RouteSignIn, fault: plextest.Fault{Status: 429, RetryAfter: "7"},
			call: call{method: "POST", path: "/api/v2/users/signin", form: signinForm(plextest.UserLogin, plextest.UserPassword, "")},
			check: func(t *testing.T, status int, h http.Header, body []byte, err error) {
				if err != nil || status != 429 || h.Get("Retry-After") != "7" {
					t.Fatalf("got %d Retry-After %q, err %v", status, h.Get("Retry-After"), err)
				}
				if s := field(t, body, "errors.0.status"); s != 429.0 {
					t.Errorf("errors.0.status = %v", s)
				}
			}},
		{name: "status 401 carries code 1001", route: plextest.RouteUser, fault: plextest.Fault{Status: 401}, call: userCall,
			check: func(t *testing.T, status int, h http.Header, body []byte, err error) {
				if err != nil || status != 401 || field(t, body, "errors.0.code") != 1001.0 {
					t.Errorf("got %d %s, err %v", status, body, err)
				}
			}},
		{name: "status 401 with a chosen code", route: plextest.RouteUser, fault: plextest.Fault{Status: 401, Code: 1031}, call: userCall,
			check: func(t *testing.T, status int, h http.Header, body []byte, err error) {
				if err != nil || status != 401 || field(t, body, "errors.0.code") != 1031.0 {
					t.Errorf("got %d %s, err %v", status, body, err)
				}
			}},
		{name: "status 503 on a server route", route: plextest.RouteTransient, fault: plextest.Fault{Status: 503},
			call: call{method: "POST", path: transientPath, token: plextest.AdminToken},
			check: func(t *testing.T, status int, h http.Header, body []byte, err error) {
				if err != nil || status != 503 || h.Get("Retry-After") != "" {
					t.Errorf("got %d, Retry-After %q, err %v", status, h.Get("Retry-After"), err)
				}
			}},
		{name: "non-JSON", route: plextest.RouteUser, fault: plextest.Fault{NonJSON: true}, call: userCall,
			check: func(t *testing.T, status int, h http.Header, body []byte, err error) {
				if err != nil || status != 200 || h.Get("Content-Type") != "application/json" || json.Valid(body) {
					t.Errorf("got %d %q %s, err %v", status, h.Get("Content-Type"), body, err)
				}
			}},
		{name: "oversize", route: plextest.RouteResources, fault: plextest.Fault{Oversize: 300 << 10},
			call: call{method: "GET", path: "/security/resources?source=" + plextest.ServerSource, token: plextest.AdminToken},
			check: func(t *testing.T, status int, h http.Header, body []byte, err error) {
				if err != nil || status != 200 || len(body) != 300<<10 || !json.Valid(body) {
					t.Errorf("got %d, %d bytes, valid JSON %v, err %v", status, len(body), json.Valid(body), err)
				}
			}},
		{name: "truncate", route: plextest.RouteTransient, fault: plextest.Fault{Truncate: true},
			call: call{method: "POST", path: transientPath, token: plextest.AdminToken},
			check: func(t *testing.T, status int, h http.Header, body []byte, err error) {
				if status != 200 || !errors.Is(err, io.ErrUnexpectedEOF) {
					t.Errorf("got %d, err %v; want 200 and unexpected EOF", status, err)
				}
			}},
		{name: "reset", route: plextest.RouteSignIn, fault: plextest.Fault{Reset: true},
			call: call{method: "POST", path: "/api/v2/users/signin", form: signinForm(plextest.UserLogin, plextest.UserPassword, "")},
			check: func(t *testing.T, status int, h http.Header, body []byte, err error) {
				if err == nil || status != 0 {
					t.Errorf("got %d, err %v; want no answer", status, err)
				}
			}},
		{name: "latency alone, then the answer", route: plextest.RouteUser, fault: plextest.Fault{Latency: time.Millisecond}, call: userCall,
			check: func(t *testing.T, status int, h http.Header, body []byte, err error) {
				if err != nil || status != 200 || field(t, body, "username") != plextest.UserLogin {
					t.Errorf("got %d %s, err %v", status, body, err)
				}
			}},
		{name: "a fault elsewhere changes nothing", route: plextest.RouteTransient, fault: plextest.Fault{Reset: true}, call: userCall,
			check: func(t *testing.T, status int, h http.Header, body []byte, err error) {
				if err != nil || status != 200 {
					t.Errorf("got %d, err %v", status, err)
				}
			}},
	}
	for _, tt := range tests {
		for _, tls := range []bool{false, true} {
			name, start := tt.name, plextest.NewServer
			if tls {
				name, start = name+" (TLS)", plextest.NewTLSServer
			}
			t.Run(name, func(t *testing.T) {
				srv := start()
				defer srv.Close()
				srv.SetFault(tt.route, tt.fault)
				status, h, body, err := fetch(srv, tt.call.request(t, srv.URL))
				tt.check(t, status, h, body, err)
			})
		}
	}
}

// TestFaultTimes: a limited fault counts down, then normal answers resume;
// ClearFaults and Reset disarm the unlimited kind.
func TestFaultTimes(t *testing.T) {
	srv := plextest.NewServer()
	defer srv.Close()
	type step struct {
		name   string
		action func()
		status int
	}
	steps := []step{
		{name: "armed for 2", action: func() { srv.SetFault(plextest.RouteUser, plextest.Fault{Status: 500, Times: 2}) }, status: 500},
		{name: "second", status: 500},
		{name: "spent", status: 200},
		{name: "unlimited", action: func() { srv.SetFault(plextest.RouteUser, plextest.Fault{Status: 502}) }, status: 502},
		{name: "still on", status: 502},
		{name: "cleared", action: srv.ClearFaults, status: 200},
		{name: "armed again", action: func() { srv.SetFault(plextest.RouteUser, plextest.Fault{Status: 504}) }, status: 504},
		{name: "reset", action: srv.Reset, status: 200},
	}
	for _, st := range steps {
		if st.action != nil {
			st.action()
		}
		if got := do(t, srv, userCall); got.status != st.status {
			t.Errorf("%s: status = %d, want %d", st.name, got.status, st.status)
		}
	}
}

// TestLatencyHonoursCancellation: a request whose context ends is let go at
// once, with nothing written, however long the latency.
func TestLatencyHonoursCancellation(t *testing.T) {
	t.Run("handler", func(t *testing.T) {
		sim := plextest.New()
		sim.SetFault(plextest.RouteUser, plextest.Fault{Latency: time.Hour})
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		rec := httptest.NewRecorder()
		sim.ServeHTTP(rec, userCall.request(t, "http://sim").WithContext(ctx)) // would block for an hour if ignored
		if rec.Body.Len() != 0 || rec.Flushed {
			t.Errorf("wrote %q after cancellation", rec.Body)
		}
	})
	t.Run("client", func(t *testing.T) {
		srv := plextest.NewServer()
		defer srv.Close()
		srv.SetFault(plextest.RouteUser, plextest.Fault{Latency: time.Hour})
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
		defer cancel()
		_, _, _, err := fetch(srv, userCall.request(t, srv.URL).WithContext(ctx))
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("err = %v, want deadline exceeded", err)
		}
	})
}

// TestResetFaultHandler: without a connection to drop (a recorder), Reset
// aborts the handler the way net/http expects.
func TestResetFaultHandler(t *testing.T) {
	sim := plextest.New()
	sim.SetFault(plextest.RouteUser, plextest.Fault{Reset: true})
	defer func() {
		if r := recover(); r != http.ErrAbortHandler {
			t.Errorf("recovered %v, want http.ErrAbortHandler", r)
		}
	}()
	sim.ServeHTTP(httptest.NewRecorder(), userCall.request(t, "http://sim"))
}

// TestEchoFault: an Echo fault's message repeats the token, the query and the
// form, raw and encoded, in the negotiated format or in XML when asked.
func TestEchoFault(t *testing.T) {
	const pass = `p@ss wörd+&"`
	signIn := call{method: "POST", path: "/api/v2/users/signin?x=1", form: signinForm(plextest.UserLogin, pass, "")}
	tests := []struct {
		name  string
		route plextest.Route
		fault plextest.Fault
		call  call
		ct    string // Content-Type the answer must have
		want  []string
	}{
		{"json 500 sign-in", plextest.RouteSignIn, plextest.Fault{Status: 500, Echo: true}, signIn, "application/json; charset=utf-8",
			[]string{pass, url.QueryEscape(pass), url.PathEscape(pass), strings.ToLower(url.QueryEscape(pass)),
				base64.StdEncoding.EncodeToString([]byte(pass)), base64.RawURLEncoding.EncodeToString([]byte(pass)), "x=1"}},
		{"xml 400 token", plextest.RouteUser, plextest.Fault{Status: 400, Echo: true, XML: true}, userCall, "application/xml",
			[]string{plextest.UserToken, base64.StdEncoding.EncodeToString([]byte(plextest.UserToken))}},
		{"xml by Accept", plextest.RouteUser, plextest.Fault{Status: 503, Echo: true}, call{method: "GET", path: "/api/v2/user", token: "t@k", accept: "application/xml"},
			"application/xml", []string{"t@k", "t%40k"}},
		{"xml without echo", plextest.RouteUser, plextest.Fault{Status: 502, XML: true}, userCall, "application/xml", []string{"Bad Gateway"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := plextest.NewServer()
			defer srv.Close()
			srv.SetFault(tt.route, tt.fault)
			status, h, body, err := fetch(srv, tt.call.request(t, srv.URL))
			if err != nil || status != tt.fault.Status || h.Get("Content-Type") != tt.ct {
				t.Fatalf("got %d %q, err %v", status, h.Get("Content-Type"), err)
			}
			var msg string
			if strings.HasPrefix(tt.ct, "application/json") {
				msg, _ = field(t, body, "errors.0.message").(string)
			} else {
				var x struct {
					Error struct {
						Message string `xml:"message,attr"`
					} `xml:"error"`
				}
				if err := xml.Unmarshal(body, &x); err != nil {
					t.Fatalf("body %s: %v", body, err)
				}
				msg = x.Error.Message
			}
			for _, w := range tt.want {
				if !strings.Contains(msg, w) {
					t.Errorf("message %q lacks %q", msg, w)
				}
			}
		})
	}
}
