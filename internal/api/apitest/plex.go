package apitest

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/plexauth/plexauth/internal/api"
	"github.com/plexauth/plexauth/pkg/plex"
	"github.com/plexauth/plexauth/pkg/plex/plextest"
)

// Plex is a simulator on 127.0.0.1 and a real client pointed at it for both
// the server and plex.tv. The client makes one attempt per call, so a fault
// maps straight to an answer (pkg/plex tests its own retries).
type Plex struct {
	*plextest.Server
	Client *plex.Client
}

// NewPlex starts the simulator, closed when the test ends.
func NewPlex(t testing.TB) *Plex {
	t.Helper()
	srv := plextest.NewServer()
	t.Cleanup(srv.Close)
	c, err := plex.New(plex.Config{
		ServerURL:        srv.URL,
		PlexTVURL:        srv.URL,
		ClientIdentifier: "plexauth-test",
		HTTPClient:       srv.Client(),
		Retry:            plex.RetryPolicy{MaxAttempts: 1},
	})
	if err != nil {
		t.Fatal(err)
	}
	return &Plex{Server: srv, Client: c}
}

// Handler returns a newHandler for Run that first clears the simulator's
// requests and faults, so every case starts clean.
func (p *Plex) Handler(newHandler func(api.Shared) *api.Handler) func(api.Shared) *api.Handler {
	return func(s api.Shared) *api.Handler {
		p.Reset()
		return newHandler(s)
	}
}

// AuthCases are the rows every route shares about the caller's credential
// and the method; ok is a request that succeeds once authorized, wrong a
// method the route does not allow.
func AuthCases(ok Event, wrong string) []Case {
	wrongMethod := ok.Authorized()
	wrongMethod.Method = wrong
	scoped := func(c Caller) *Secrets { return NewSecrets(ValueWith(AdminToken, c)) }
	scope, _, _ := strings.Cut(strings.TrimPrefix(ok.Path, "/"), "/") // "/pins/{id}" is in scope "pins"
	return []Case{
		{Name: "key scoped to this route", Event: ok.Authorized(), Secrets: scoped(Tester.On(scope)), Status: 200},
		{Name: "key scoped to another route", Event: ok.Authorized(), Secrets: scoped(Tester.On("other-" + scope)), Status: 403, Code: "forbidden"},
		{Name: "expired key", Event: ok.Authorized(), Secrets: scoped(Tester.Until(time.Now().Add(-time.Minute))), Status: 401, Code: "unauthorized"},
		{Name: "missing authorization", Event: ok, Status: 401, Code: "unauthorized"},
		{Name: "wrong caller key", Event: ok.With("Authorization", "Bearer not-the-key-0001"), Status: 401, Code: "unauthorized"},
		{Name: "lowercase bearer", Event: ok.With("Authorization", "bearer "+CallerKey), Status: 200},
		{Name: "secret unavailable", Event: ok.Authorized(), Secrets: FailingSecrets(ErrSecretsDown), Status: 503, Code: "secret_unavailable"},
		{Name: "wrong method", Event: wrongMethod, Status: 405, Code: "method_not_allowed"},
	}
}

// FaultCases are the rows for Plex misbehaving on route: 5xx, 429 with
// Retry-After, no answer in time, a reset connection, and bodies that cannot
// be read.
func (p *Plex) FaultCases(ev Event, route plextest.Route) []Case {
	ev = ev.Authorized()
	fault := func(f plextest.Fault) func(*testing.T) {
		return func(*testing.T) { p.SetFault(route, f) }
	}
	reached := func(t *testing.T, _ Response) {
		if p.Count(route) == 0 {
			t.Errorf("Plex route %s was not called", route)
		}
	}
	return []Case{
		{Name: "plex 500", Event: ev, Setup: fault(plextest.Fault{Status: 500}), Status: 502, Code: "plex_error", Check: reached,
			Log: map[string]any{"plexStatus": 500.0, "level": "ERROR"}},
		{Name: "plex 503", Event: ev, Setup: fault(plextest.Fault{Status: 503}), Status: 502, Code: "plex_error", Check: reached},
		{Name: "plex 400", Event: ev, Setup: fault(plextest.Fault{Status: 400}), Status: 502, Code: "plex_error", Check: reached},
		{Name: "plex 429", Event: ev, Setup: fault(plextest.Fault{Status: 429, RetryAfter: "7"}), Status: 429, Code: "rate_limited",
			Check: func(t *testing.T, r Response) {
				if got := r.Headers["Retry-After"]; got != "7" {
					t.Errorf("Retry-After = %q, want 7", got)
				}
			}},
		// The invocation has the margin plus a little: Plex's latency uses it up.
		{Name: "plex too slow", Event: ev, Setup: fault(plextest.Fault{Latency: time.Minute}),
			Timeout: api.DefaultMargin + 150*time.Millisecond, Status: 504, Code: "plex_timeout", Check: reached},
		{Name: "plex connection reset", Event: ev, Setup: fault(plextest.Fault{Reset: true}), Status: 502, Code: "plex_error", Check: reached},
		{Name: "plex body garbage", Event: ev, Setup: fault(plextest.Fault{NonJSON: true}), Status: 502, Code: "plex_error", Check: reached},
		{Name: "plex body truncated", Event: ev, Setup: fault(plextest.Fault{Truncate: true}), Status: 502, Code: "plex_error", Check: reached},
		{Name: "plex body oversized", Event: ev, Setup: fault(plextest.Fault{Oversize: 1 << 20}), Status: 502, Code: "plex_error", Check: reached},
	}
}

// EchoCases are the rows for Plex errors whose message repeats the request
// (plextest.Fault.Echo): 5xx and 4xx, JSON and XML. The log checks of Run
// then look for every encoding of what ev carries and of hidden.
func (p *Plex) EchoCases(ev Event, route plextest.Route, secrets *Secrets, hidden ...string) []Case {
	var out []Case
	for _, st := range []struct {
		plex, status int
		code         string
	}{{500, 502, "plex_error"}, {503, 502, "plex_error"}, {400, 502, "plex_error"}, {429, 429, "rate_limited"}} {
		for _, xml := range []bool{false, true} {
			f := plextest.Fault{Status: st.plex, Echo: true, XML: xml}
			out = append(out, Case{
				Name: fmt.Sprintf("plex %d echoes, xml %v", st.plex, xml), Event: ev, Secrets: secrets, Hidden: hidden,
				Setup: func(*testing.T) { p.SetFault(route, f) }, Status: st.status, Code: st.code,
				Log: map[string]any{"plexStatus": float64(st.plex)},
				Check: func(t *testing.T, _ Response) {
					if p.Count(route) == 0 {
						t.Errorf("Plex route %s was not called", route)
					}
				},
			})
		}
	}
	return out
}

// RotatedToken is the admin token after a rotation in RotationCases.
const RotatedToken = "rotated-admin-token-0002"

// RotationCases are the rows for an admin token rotated since it was
// cached. When the store has the new token, the call succeeds after exactly
// one refresh and one retry; when it has not, the answer is stale (the
// route's answer to a rejected admin token) after one refresh, no loop.
func (p *Plex) RotationCases(ev Event, route plextest.Route, stale int, staleCode string) []Case {
	ev = ev.Authorized()
	rotate := func(t *testing.T) {
		p.SetAdminToken(RotatedToken)
		t.Cleanup(func() { p.SetAdminToken(plextest.AdminToken) })
	}
	calls := func(store *Secrets, refreshes, requests int) func(*testing.T, Response) {
		return func(t *testing.T, _ Response) {
			if got := store.Refreshes(); got != refreshes {
				t.Errorf("refreshes = %d, want %d", got, refreshes)
			}
			if got := p.Count(route); got != requests {
				t.Errorf("Plex requests = %d, want %d", got, requests)
			}
		}
	}
	rotated := NewSecrets(Value(plextest.AdminToken), Value(RotatedToken))
	unchanged := NewSecrets(Value(plextest.AdminToken))
	return []Case{
		{Name: "admin token rotated", Event: ev, Setup: rotate, Secrets: rotated, Status: http.StatusOK,
			Log: map[string]any{"secretRefresh": "rotated"}, Check: calls(rotated, 1, 2)},
		{Name: "admin token rotated, secret not yet", Event: ev, Setup: rotate, Secrets: unchanged, Status: stale, Code: staleCode,
			Log: map[string]any{"secretRefresh": "unchanged", "plexStatus": float64(plexStatus(route))}, Check: calls(unchanged, 1, 1)},
	}
}

// plexStatus is how the simulator rejects a token on route: plex.tv says
// 401, a server 403.
func plexStatus(route plextest.Route) int {
	if strings.HasPrefix(string(route), "/api/") {
		return http.StatusUnauthorized
	}
	return http.StatusForbidden
}
