package plextest_test

import (
	"errors"
	"net/url"
	"testing"

	"github.com/plexauth/plexauth/pkg/plex/plextest"
	"github.com/plexauth/plexauth/pkg/plex/plextest/contract"
)

// TestSpecConformance checks the simulator's JSON answers, successes and
// errors, against the response schemas of the Plex OpenAPI spec, and the
// test's requests against the operations, so that both sides are real.
func TestSpecConformance(t *testing.T) {
	srv := plextest.NewServer()
	defer srv.Close()
	v := contract.Load(t, srv.URL)

	bob := func(code string) call {
		return call{method: "POST", path: "/api/v2/users/signin", form: signinForm(plextest.TwoFactorLogin, plextest.TwoFactorPassword, code)}
	}
	tests := []struct {
		name       string
		call       call
		status     int
		schema     bool // the spec has a body schema for this answer
		undeclared bool // the spec lists no such status
	}{
		{name: "transient", call: call{method: "POST", path: transientPath, token: plextest.AdminToken}, status: 200, schema: true},
		{name: "transient refused", call: call{method: "POST", path: transientPath, token: "nope"}, status: 403},
		{name: "resources server", call: call{method: "GET", path: "/security/resources?source=" + plextest.ServerSource, token: plextest.AdminToken}, status: 200, schema: true},
		{name: "resources provider", call: call{method: "GET", path: "/security/resources?refresh=0&source=" + plextest.ProviderSource, token: plextest.AdminToken}, status: 200, schema: true},
		{name: "resources refused", call: call{method: "GET", path: "/security/resources?source=" + plextest.ServerSource, token: "nope"}, status: 403},
		{name: "resources unknown", call: call{method: "GET", path: "/security/resources?source=server://ffff", token: plextest.AdminToken}, status: 404, undeclared: true},
		{name: "identity", call: call{method: "GET", path: "/identity"}, status: 200, schema: true},
		{name: "resources", call: call{method: "GET", path: "/api/v2/resources?includeHttps=1&includeRelay=1&includeIPv6=1", token: plextest.AdminToken}, status: 200, schema: true},
		{name: "resources, another account", call: call{method: "GET", path: "/api/v2/resources?includeHttps=1", token: plextest.UserToken}, status: 200, schema: true},
		{name: "resources refused", call: call{method: "GET", path: "/api/v2/resources", token: "nope"}, status: 401, schema: true},
		{name: "user", call: call{method: "GET", path: "/api/v2/user", token: plextest.UserToken}, status: 200, schema: true},
		{name: "user admin", call: call{method: "GET", path: "/api/v2/user", token: plextest.AdminToken}, status: 200, schema: true},
		{name: "user refused", call: call{method: "GET", path: "/api/v2/user", token: "nope"}, status: 401, schema: true},
		{name: "signin", call: call{method: "POST", path: "/api/v2/users/signin", form: signinForm(plextest.UserEmail, plextest.UserPassword, "")}, status: 201, schema: true},
		{name: "signin remember me", call: call{method: "POST", path: "/api/v2/users/signin",
			form: url.Values{"login": {plextest.UserLogin}, "password": {plextest.UserPassword}, "rememberMe": {"true"}}}, status: 201, schema: true},
		{name: "signin wrong password", call: call{method: "POST", path: "/api/v2/users/signin", form: signinForm(plextest.UserLogin, "nope", "")}, status: 401, schema: true},
		{name: "signin code required", call: bob(""), status: 401, schema: true},
		{name: "signin wrong code", call: bob("000000"), status: 401, schema: true},
		{name: "signin two-factor", call: bob(plextest.TwoFactorCode), status: 201, schema: true},
	}
	var want int64
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := tt.call.request(t, srv.URL)
			body := []byte(nil)
			if tt.call.form != nil {
				body = []byte(tt.call.form.Encode())
			}
			v.Request(t, req, body)
			got := do(t, srv, tt.call)
			if got.status != tt.status {
				t.Fatalf("status = %d, want %d", got.status, tt.status)
			}
			err := v.CheckResponse(req, got.status, got.header, got.body)
			switch {
			case tt.undeclared && !errors.Is(err, contract.ErrUndeclaredStatus):
				t.Errorf("CheckResponse = %v, want ErrUndeclaredStatus", err)
			case !tt.undeclared && err != nil:
				t.Errorf("answer breaks the spec: %v", err)
			}
		})
		if tt.schema {
			want++
		}
	}
	if got := v.Checked(); got != want {
		t.Errorf("%d bodies checked against a schema, want %d", got, want)
	}
}
