package plextest_test

import (
	"net/http"
	"testing"

	"github.com/plexauth/plexauth/pkg/plex/plextest"
)

// TestConnections: keep-alive reuses one connection; a client without
// keep-alive opens one per request; both kinds of server count them.
func TestConnections(t *testing.T) {
	for _, tc := range []struct {
		name  string
		start func() *plextest.Server
	}{
		{"http", plextest.NewServer},
		{"https", plextest.NewTLSServer},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := tc.start()
			defer srv.Close()
			if srv.Connections() != 0 {
				t.Fatalf("connections before any request = %d", srv.Connections())
			}
			steps := []struct {
				name string
				call call
				want int64
			}{
				{"warm-up opens one", call{method: "HEAD", path: "/"}, 1},
				{"reused for a server route", call{method: "POST", path: transientPath, token: plextest.AdminToken}, 1},
				{"reused for a plex.tv route", userCall, 1},
				{"reused after an error status", call{method: "GET", path: "/api/v2/user", token: "nope"}, 1},
			}
			for _, st := range steps {
				do(t, srv, st.call)
				if got := srv.Connections(); got != st.want {
					t.Errorf("%s: connections = %d, want %d", st.name, got, st.want)
				}
			}

			// A fresh transport trusting the same certificate, without keep-alive.
			tr := srv.Client().Transport.(*http.Transport).Clone()
			tr.DisableKeepAlives = true
			hc := &http.Client{Transport: tr}
			for range 2 {
				resp, err := hc.Do(userCall.request(t, srv.URL))
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
			}
			if got := srv.Connections(); got != 3 {
				t.Errorf("after 2 requests without keep-alive: connections = %d, want 3", got)
			}
		})
	}
}

// TestTLSServer: the URL is https and Client trusts it while a default
// client does not.
func TestTLSServer(t *testing.T) {
	srv := plextest.NewTLSServer()
	defer srv.Close()
	if got := do(t, srv, userCall); got.status != 200 {
		t.Fatalf("status = %d", got.status)
	}
	resp, err := (&http.Client{Transport: &http.Transport{}}).Do(userCall.request(t, srv.URL))
	if err == nil {
		resp.Body.Close()
		t.Fatal("an untrusting client reached the TLS server")
	}
}
