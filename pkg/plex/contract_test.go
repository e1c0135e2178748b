package plex_test

import (
	"context"
	"errors"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/plexauth/plexauth/pkg/plex"
	"github.com/plexauth/plexauth/pkg/plex/plextest"
	"github.com/plexauth/plexauth/pkg/plex/plextest/contract"
)

const (
	badToken  = "not-a-plex-token-Qz81"
	badPasswd = "wrong-horse-Pq3"
	badCode   = "000000"
)

// clientCase is one exchange the client sends, what it must return, and
// whether the spec has a schema for the answer's body.
type clientCase struct {
	name   string
	route  string     // path the one request goes to
	query  url.Values // its query, as the simulator parsed it
	form   url.Values // its form body (sign-in)
	run    func(ctx context.Context, c *plex.Client) (any, error)
	check  func(t *testing.T, got any) // success only
	kind   error                       // wanted error kind; nil for success
	schema bool
}

// clientCases covers every request the client can send. They run in order:
// a later case uses the transient token an earlier one obtained, and the two
// failed sign-ins stay under the simulator's IP block threshold.
func clientCases(issued *[]string) []clientCase {
	var transient string
	token := func(got any) string {
		tok, _ := got.(string)
		*issued = append(*issued, tok)
		return tok
	}
	source := func(tok string, q plex.SourceQuery) func(context.Context, *plex.Client) (any, error) {
		return func(ctx context.Context, c *plex.Client) (any, error) {
			if tok == "" { // the transient token, known only once its case ran
				tok = transient
			}
			d, err := c.Source(ctx, tok, q)
			if err == nil {
				*issued = append(*issued, d.AccessToken)
			}
			return d, err
		}
	}
	user := func(tok string) func(context.Context, *plex.Client) (any, error) {
		return func(ctx context.Context, c *plex.Client) (any, error) { return c.User(ctx, tok) }
	}
	signIn := func(cr plex.Credentials) func(context.Context, *plex.Client) (any, error) {
		return func(ctx context.Context, c *plex.Client) (any, error) { return c.SignIn(ctx, cr) }
	}
	alice := plex.Credentials{Login: plextest.UserLogin, Password: plextest.UserPassword}
	aliceRemember := alice
	aliceRemember.RememberMe = true
	aliceEmail := alice
	aliceEmail.Login = plextest.UserEmail
	bob := func(code string) plex.Credentials {
		return plex.Credentials{Login: plextest.TwoFactorLogin, Password: plextest.TwoFactorPassword, VerificationCode: code}
	}
	form := func(cr plex.Credentials) url.Values {
		f := url.Values{"login": {cr.Login}, "password": {cr.Password}, "rememberMe": {strconv.FormatBool(cr.RememberMe)}}
		if cr.VerificationCode != "" {
			f.Set("verificationCode", cr.VerificationCode)
		}
		return f
	}
	delegation := url.Values{"type": {"delegation"}, "scope": {"all"}}
	srcQuery := func(q plex.SourceQuery) url.Values {
		v := url.Values{"source": {q.Source}}
		if q.Refresh {
			v.Set("refresh", "1")
		}
		return v
	}
	server := plex.SourceQuery{Source: plextest.ServerSource}
	provider := plex.SourceQuery{Source: plextest.ProviderSource}
	refresh := func(q plex.SourceQuery) plex.SourceQuery { q.Refresh = true; return q }
	unknown := plex.SourceQuery{Source: "server://ffff0000"}
	wrongPassword := plex.Credentials{Login: plextest.UserLogin, Password: badPasswd}

	const (
		tr  = string(plextest.RouteTransient)
		res = string(plextest.RouteResources)
		usr = string(plextest.RouteUser)
		sig = string(plextest.RouteSignIn)
	)
	return []clientCase{
		{name: "transient token", route: tr, query: delegation, schema: true,
			run: func(ctx context.Context, c *plex.Client) (any, error) {
				return c.TransientToken(ctx, plextest.AdminToken)
			},
			check: func(t *testing.T, got any) {
				transient = token(got)
				if !strings.HasPrefix(transient, "transient-") {
					t.Errorf("token %q: want a transient- token", transient)
				}
			}},
		{name: "transient token, bad token", route: tr, query: delegation, kind: plex.ErrUnauthorized,
			run: func(ctx context.Context, c *plex.Client) (any, error) { return c.TransientToken(ctx, badToken) }},

		{name: "source server", route: res, query: srcQuery(server), schema: true, run: source(plextest.AdminToken, server), check: wantDevice(plextest.ServerID)},
		{name: "source server refresh", route: res, query: srcQuery(refresh(server)), schema: true, run: source(plextest.AdminToken, refresh(server)), check: wantDevice(plextest.ServerID)},
		{name: "source provider", route: res, query: srcQuery(provider), schema: true, run: source(plextest.AdminToken, provider), check: wantDevice(plextest.ProviderID)},
		{name: "source provider refresh", route: res, query: srcQuery(refresh(provider)), schema: true, run: source(plextest.AdminToken, refresh(provider)), check: wantDevice(plextest.ProviderID)},
		{name: "source with the transient token", route: res, query: srcQuery(server), schema: true, run: source("", server), check: wantDevice(plextest.ServerID)},
		{name: "source, bad token", route: res, query: srcQuery(server), kind: plex.ErrUnauthorized, run: source(badToken, server)},
		// The spec declares no status for an unknown source: logged, not checked.
		{name: "source unknown", route: res, query: srcQuery(unknown), kind: plex.ErrNotFound, run: source(plextest.AdminToken, unknown)},

		{name: "user, admin token", route: usr, schema: true, run: user(plextest.AdminToken),
			check: wantUser(plextest.AdminLogin, plextest.AdminToken, false)},
		{name: "user, user token", route: usr, schema: true, run: user(plextest.UserToken),
			check: wantUser(plextest.UserLogin, plextest.UserToken, false)},
		{name: "user, bad token", route: usr, schema: true, kind: plex.ErrUnauthorized, run: user(badToken)},

		{name: "sign in", route: sig, form: form(alice), schema: true, run: signIn(alice), check: wantUser(plextest.UserLogin, plextest.UserToken, false)},
		{name: "sign in, remember me", route: sig, form: form(aliceRemember), schema: true, run: signIn(aliceRemember), check: wantUser(plextest.UserLogin, plextest.UserToken, false)},
		{name: "sign in by email", route: sig, form: form(aliceEmail), schema: true, run: signIn(aliceEmail), check: wantUser(plextest.UserLogin, plextest.UserToken, false)},
		{name: "sign in, wrong password", route: sig, form: form(wrongPassword), schema: true, kind: plex.ErrUnauthorized,
			run: signIn(wrongPassword)},
		{name: "sign in, two-factor code missing", route: sig, form: form(bob("")), schema: true, kind: plex.ErrTwoFactorRequired, run: signIn(bob(""))},
		{name: "sign in, wrong two-factor code", route: sig, form: form(bob(badCode)), schema: true, kind: plex.ErrInvalidVerificationCode, run: signIn(bob(badCode))},
		{name: "sign in, two-factor", route: sig, form: form(bob(plextest.TwoFactorCode)), schema: true, run: signIn(bob(plextest.TwoFactorCode)),
			check: wantUser(plextest.TwoFactorLogin, plextest.TwoFactorToken, true)},

		// The spec does not describe /api/v2/ping: passed unchecked.
		{name: "ping", route: string(plextest.RoutePing), run: ping(plextest.AdminToken), check: func(*testing.T, any) {}},
		{name: "ping, bad token", route: string(plextest.RoutePing), kind: plex.ErrUnauthorized, run: ping(badToken)},
		{name: "identity", route: string(plextest.RouteIdentity), schema: true,
			run: func(ctx context.Context, c *plex.Client) (any, error) { return c.Identity(ctx) },
			check: func(t *testing.T, got any) {
				id, _ := got.(*plex.ServerIdentity)
				if id == nil || id.MachineIdentifier != plextest.ServerID || id.Version != plextest.ServerVersion || !id.Claimed {
					t.Errorf("identity %+v: want %s, %s, claimed", id, plextest.ServerID, plextest.ServerVersion)
				}
			}},
		{name: "resources", route: string(plextest.RouteDevices), query: resourcesQuery, schema: true,
			run:   func(ctx context.Context, c *plex.Client) (any, error) { return c.Resources(ctx, plextest.AdminToken) },
			check: wantResources},
		{name: "resources, bad token", route: string(plextest.RouteDevices), query: resourcesQuery, schema: true, kind: plex.ErrUnauthorized,
			run: func(ctx context.Context, c *plex.Client) (any, error) { return c.Resources(ctx, badToken) }},

		// Warm sends HEAD /, which the spec does not describe: passed unchecked.
		{name: "warm server", route: "/", query: url.Values{}, run: warm(plex.ServerHost), check: func(*testing.T, any) {}},
		{name: "warm plex.tv", route: "/", query: url.Values{}, run: warm(plex.PlexTVHost), check: func(*testing.T, any) {}},
	}
}

var resourcesQuery = url.Values{"includeHttps": {"1"}, "includeRelay": {"1"}, "includeIPv6": {"1"}}

func ping(tok string) func(context.Context, *plex.Client) (any, error) {
	return func(ctx context.Context, c *plex.Client) (any, error) { return nil, c.Ping(ctx, tok) }
}

// wantResources: the simulator's four devices, three of them servers, with
// their access tokens and every connection field read.
func wantResources(t *testing.T, got any) {
	t.Helper()
	rs, _ := got.([]plex.Resource)
	if len(rs) != 4 {
		t.Fatalf("got %d resources, want 4", len(rs))
	}
	servers := 0
	for _, r := range rs {
		if r.IsServer() {
			servers++
		}
		if r.Name == "" || r.ClientIdentifier == "" || r.ProductVersion == "" || r.AccessToken == "" || len(r.Connections) == 0 {
			t.Errorf("resource %q: want a name, clientIdentifier, productVersion, access token and connections", r.ClientIdentifier)
		}
	}
	if servers != 3 {
		t.Errorf("%d servers, want 3", servers)
	}
	own := rs[0]
	if own.ClientIdentifier != plextest.ServerID || !own.Owned || !own.Presence || own.AccessToken != plextest.OwnedServerToken {
		t.Errorf("first resource %q: want the owned, present server with its token", own.ClientIdentifier)
	}
	if c := own.Connections[3]; !c.IPv6 || !c.Local || c.Port != 32400 || c.Protocol != "https" {
		t.Errorf("IPv6 connection %+v: fields not read", c)
	}
	if !rs[2].HTTPSRequired || rs[1].Owned || rs[1].Presence {
		t.Errorf("httpsRequired, owned or presence not read")
	}
}

func warm(h plex.Host) func(context.Context, *plex.Client) (any, error) {
	return func(ctx context.Context, c *plex.Client) (any, error) { return nil, c.Warm(ctx, h) }
}

func wantDevice(id string) func(*testing.T, any) {
	return func(t *testing.T, got any) {
		t.Helper()
		d, ok := got.(*plex.Device)
		if !ok || d == nil {
			t.Fatalf("got %T, want *plex.Device", got)
		}
		if d.ClientIdentifier != id || d.Name == "" || !strings.HasPrefix(d.AccessToken, "transient-") {
			t.Errorf("device %q (%q), token prefix ok %v: want clientIdentifier %q, a name and a transient token",
				d.ClientIdentifier, d.Name, strings.HasPrefix(d.AccessToken, "transient-"), id)
		}
		if len(d.Connections) != 2 || !d.Connections[0].Local || !d.Connections[1].Relay {
			t.Errorf("connections %+v: want a local one, then a relay", d.Connections)
		}
		for _, c := range d.Connections {
			if c.Protocol != "https" || c.Address == "" || c.Port == 0 || !strings.HasPrefix(c.URI, "https://") {
				t.Errorf("connection %+v: want https with address, port and uri", c)
			}
		}
	}
}

func wantUser(username, authToken string, twoFactor bool) func(*testing.T, any) {
	return func(t *testing.T, got any) {
		t.Helper()
		u, ok := got.(*plex.User)
		if !ok || u == nil {
			t.Fatalf("got %T, want *plex.User", got)
		}
		if u.Username != username || u.ID == 0 || u.UUID == "" || u.Email == "" || u.JoinedAt == 0 || u.Subscription == nil {
			t.Errorf("user %q (id %d): want %q with id, uuid, email, joinedAt and subscription", u.Username, u.ID, username)
		}
		if u.AuthToken != authToken { // compared, never printed
			t.Errorf("user %q: AuthToken is not the account's token", u.Username)
		}
		if u.TwoFactorEnabled != twoFactor {
			t.Errorf("user %q: TwoFactorEnabled = %v, want %v", u.Username, u.TwoFactorEnabled, twoFactor)
		}
	}
}

// newTestClient builds a client for srv whose HTTP client sends through rt.
// Retries are off so that every case is exactly one exchange.
func newTestClient(t *testing.T, srv *plextest.Server, rt http.RoundTripper) *plex.Client {
	t.Helper()
	c, err := plex.New(plex.Config{
		ServerURL:        srv.URL,
		PlexTVURL:        srv.URL,
		ClientIdentifier: "plexauth-contract-test",
		Product:          "plexauth-test",
		Version:          "0.0.1",
		HTTPClient:       &http.Client{Transport: rt, Timeout: 30 * time.Second},
		Retry:            plex.RetryPolicy{MaxAttempts: 1},
	})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// defaultTransport has the keep-alive settings of the client's own default.
func defaultTransport() *http.Transport {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = 16
	return tr
}

// runCases runs every case against c, in order, as a subtest. It returns
// the cases and the tokens and passwords that travelled, issued ones included.
func runCases(t *testing.T, c *plex.Client) (cases []clientCase, secrets []string) {
	t.Helper()
	secrets = []string{plextest.AdminToken, plextest.UserToken, plextest.TwoFactorToken, badToken,
		plextest.UserPassword, plextest.TwoFactorPassword, badPasswd, plextest.TwoFactorCode, badCode}
	var issued []string
	cases = clientCases(&issued)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			got, err := tc.run(ctx, c)
			if tc.kind == nil {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				tc.check(t, got)
				return
			}
			var pe *plex.Error
			if !errors.As(err, &pe) || !errors.Is(err, tc.kind) {
				t.Fatalf("error %v: want a *plex.Error of kind %v", err, tc.kind)
			}
			for _, s := range secrets {
				if strings.Contains(err.Error(), s) {
					t.Errorf("error string holds a token or password")
				}
			}
		})
	}
	return cases, append(secrets, issued...)
}

// TestContract drives every request the client can send through a transport
// that checks it, and the simulator's answer, against the Plex OpenAPI spec.
func TestContract(t *testing.T) {
	srv := plextest.NewServer()
	defer srv.Close()
	v := contract.Load(t, srv.URL)
	c := newTestClient(t, srv, v.Transport(t, defaultTransport()))

	cases, _ := runCases(t, c)

	var schemas int64
	for _, tc := range cases {
		if tc.schema {
			schemas++
		}
	}
	// Retries are off: one request per case, none hidden from the check.
	if n := len(srv.Requests()); n != len(cases) {
		t.Errorf("simulator saw %d requests, want one per case (%d)", n, len(cases))
	}
	// Without this the test could pass having validated nothing.
	got := v.Checked()
	if schemas == 0 || got < schemas {
		t.Errorf("%d answers validated against a body schema, want at least %d", got, schemas)
	}
	t.Logf("%d exchanges, %d answers validated against a body schema", len(cases), got)
}

// TestRequestsOnTheWire checks every request the simulator received from the
// client: the route, query and form each case should send, the identity
// headers, exactly one Accept, and the token only in the X-Plex-Token header
// and only on the routes that need it.
func TestRequestsOnTheWire(t *testing.T) {
	srv := plextest.NewServer()
	defer srv.Close()
	c := newTestClient(t, srv, defaultTransport())

	cases, secrets := runCases(t, c)

	reqs := srv.Requests()
	if len(reqs) != len(cases) {
		t.Fatalf("simulator saw %d requests, want one per case (%d)", len(reqs), len(cases))
	}
	tokenRoute := map[string]bool{
		string(plextest.RouteTransient): true,
		string(plextest.RouteResources): true,
		string(plextest.RouteUser):      true,
		string(plextest.RoutePing):      true,
		string(plextest.RouteDevices):   true,
	}
	for i, r := range reqs {
		tc := cases[i]
		where := tc.name + ": " + r.Method + " " + r.Path
		if r.Path != tc.route {
			t.Errorf("%s: want path %s", where, tc.route)
		}
		if inURL(r.Path, r.Query, secrets) {
			t.Errorf("%s: a token or password is in the URL", where)
		} else if !sameValues(r.Query, tc.query) {
			t.Errorf("%s: query %v, want %v", where, r.Query, tc.query)
		}
		if !sameValues(r.Form, tc.form) { // values hold passwords: print the names only
			t.Errorf("%s: form fields %v differ from the wanted %v", where, names(r.Form), names(tc.form))
		}
		if a := r.Header.Values("Accept"); len(a) != 1 || a[0] != "application/json" {
			t.Errorf("%s: Accept %q, want exactly [application/json]", where, a)
		}
		for _, h := range []string{"X-Plex-Client-Identifier", "X-Plex-Product", "X-Plex-Version"} {
			if r.Header.Get(h) == "" {
				t.Errorf("%s: no %s header", where, h)
			}
		}
		if has := r.Header.Get("X-Plex-Token") != ""; has != tokenRoute[r.Path] {
			t.Errorf("%s: X-Plex-Token header present = %v, want %v", where, has, tokenRoute[r.Path])
		}
	}
}

// inURL reports whether the path or any query name or value holds a secret,
// or a query parameter is named like a token.
func inURL(path string, q url.Values, secrets []string) bool {
	parts := []string{path}
	for k, vs := range q {
		if strings.Contains(strings.ToLower(k), "token") {
			return true
		}
		parts = append(parts, k)
		parts = append(parts, vs...)
	}
	for _, p := range parts {
		for _, s := range secrets {
			if s != "" && strings.Contains(p, s) {
				return true
			}
		}
	}
	return false
}

// sameValues compares url.Values, nil and empty alike.
func sameValues(a, b url.Values) bool {
	if len(a) != len(b) {
		return false
	}
	for k, av := range a {
		if !slices.Equal(av, b[k]) {
			return false
		}
	}
	return true
}

func names(v url.Values) []string {
	return slices.Sorted(maps.Keys(v))
}

// TestTransientVerbModes runs TransientToken against servers that take only
// GET or only POST: both work, and the verb found is kept (one request per
// call after the first).
func TestTransientVerbModes(t *testing.T) {
	tests := []struct {
		accepts string
		want    []string // methods the server saw over three calls
	}{
		{http.MethodPost, []string{"POST", "POST", "POST"}},
		{http.MethodGet, []string{"POST", "GET", "GET", "GET"}},
	}
	for _, tt := range tests {
		t.Run(tt.accepts+" only", func(t *testing.T) {
			srv := plextest.NewServer()
			defer srv.Close()
			srv.SetTransientMethods(tt.accepts)
			c := newTestClient(t, srv, defaultTransport())
			for i := range 3 {
				tok, err := c.TransientToken(t.Context(), plextest.AdminToken)
				if err != nil || !strings.HasPrefix(tok, "transient-") {
					t.Fatalf("call %d: %q, %v", i, tok, err)
				}
			}
			var got []string
			for _, r := range srv.Requests() {
				got = append(got, r.Method)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("methods %v, want %v", got, tt.want)
			}
		})
	}
}
