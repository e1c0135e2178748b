package plextest

import (
	"crypto/rand"
	"encoding/hex"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// Route is the path of one simulated Plex operation.
type Route string

// The simulated operations: two on a Plex Media Server, two on plex.tv.
const (
	RouteTransient Route = "/security/token"
	RouteResources Route = "/security/resources"
	RouteUser      Route = "/api/v2/user"
	RouteSignIn    Route = "/api/v2/users/signin"
	RoutePins      Route = "/api/v2/pins"  // POST: a new PIN
	RoutePin       Route = "/api/v2/pins/" // GET /api/v2/pins/{id}: the PIN's state
	RouteAuthApp   Route = "/auth"         // the Auth App's page, where a person approves a PIN
	RouteLink      Route = "/link"         // ?code=: approve a PIN (what the page submits)
)

// routeOf is the route a request path belongs to: every PIN's path is RoutePin.
func routeOf(path string) Route {
	if strings.HasPrefix(path, string(RoutePin)) {
		return RoutePin
	}
	return Route(path)
}

// Request is a copy of a request the simulator received. Form holds the
// sign-in form fields; it is nil for the other routes.
type Request struct {
	Method string
	Path   string
	Query  url.Values
	Header http.Header
	Form   url.Values
}

// Simulator is a fake Plex Media Server and plex.tv in one http.Handler. It
// is safe for concurrent use.
type Simulator struct {
	users   []*user // users[0] is the admin account; fixtures never change
	sources map[string]source

	mu               sync.Mutex
	admin            string
	transient        map[string]bool
	faults           map[Route]Fault
	requests         []Request
	failures         map[string]int // failed sign-ins by remote IP
	transientMethods []string       // what /security/token accepts
	pins             map[int64]*pin
	pinLifetime      time.Duration
	lastPin          int64
	pinTokens        map[string]int    // tokens approved PINs gave, to the index of their user
	deviceTokens     map[string]string // client identifier to its current PIN token
}

// New returns a simulator holding the default fixtures.
func New() *Simulator {
	return &Simulator{
		users:            defaultUsers(),
		sources:          defaultSources(),
		admin:            AdminToken,
		transient:        map[string]bool{},
		faults:           map[Route]Fault{},
		failures:         map[string]int{},
		transientMethods: []string{http.MethodPost, http.MethodGet},
		pins:             map[int64]*pin{},
		pinLifetime:      PinLifetime,
		pinTokens:        map[string]int{},
		deviceTokens:     map[string]string{},
	}
}

// SetTransientMethods sets the methods /security/token accepts (POST and GET
// by default); any other gets 405. Real servers differ: the current spec
// documents POST, the earlier one and long-lived clients use GET.
func (s *Simulator) SetTransientMethods(methods ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.transientMethods = append([]string(nil), methods...)
}

// SetAdminToken replaces the admin token, as a rotation would: the old one is
// refused from now on. Transient tokens already issued stay valid, as they do
// on a real server until it restarts.
func (s *Simulator) SetAdminToken(tok string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.admin = tok
}

// Requests returns copies of the requests received so far, in order.
func (s *Simulator) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Request, len(s.requests))
	for i, r := range s.requests {
		out[i] = Request{
			Method: r.Method,
			Path:   r.Path,
			Query:  cloneValues(r.Query),
			Header: r.Header.Clone(),
			Form:   cloneValues(r.Form),
		}
	}
	return out
}

// Count reports how many requests route r received.
func (s *Simulator) Count(r Route) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, req := range s.requests {
		if routeOf(req.Path) == r {
			n++
		}
	}
	return n
}

// Reset forgets the recorded requests, the faults and the failed sign-in
// counters. Tokens (the admin token, transient tokens) are kept.
func (s *Simulator) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests = nil
	clear(s.faults)
	clear(s.failures)
}

// ServeHTTP answers the simulated routes, plus GET or HEAD / as a cheap
// target for connection warm-up.
func (s *Simulator) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	route := routeOf(r.URL.Path)
	if route == RouteSignIn && r.Method == http.MethodPost {
		// Parsed before recording so that tests can see the form.
		r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
		_ = r.ParseForm() // a bad body leaves the form empty: the sign-in fails
	}
	s.record(r)

	switch route { // a person's browser: no Plex headers
	case RouteAuthApp:
		s.serveAuthApp(w, r)
		return
	case RouteLink:
		s.serveLink(w, r)
		return
	}
	handler := s.handler(route)
	switch {
	case handler != nil:
	case r.URL.Path == "/":
		if allow(w, r, http.MethodGet, http.MethodHead) {
			w.WriteHeader(http.StatusOK)
		}
		return
	default:
		textFail(w, http.StatusNotFound)
		return
	}

	if f, ok := s.takeFault(route); ok && s.applyFault(w, r, f) {
		return
	}
	if r.Header.Get("X-Plex-Client-Identifier") == "" {
		plexFail(w, r, http.StatusBadRequest, codeNoClientID)
		return
	}
	handler(w, r)
}

func (s *Simulator) handler(route Route) http.HandlerFunc {
	switch route {
	case RouteTransient:
		return s.serveTransient
	case RouteResources:
		return s.serveResources
	case RouteUser:
		return s.serveUser
	case RouteSignIn:
		return s.serveSignIn
	case RoutePins:
		return s.servePins
	case RoutePin:
		return s.servePin
	case RoutePing:
		return s.servePing
	case RouteIdentity:
		return s.serveIdentity
	case RouteDevices:
		return s.serveDevices
	}
	return nil
}

func (s *Simulator) record(r *http.Request) {
	rec := Request{
		Method: r.Method,
		Path:   r.URL.Path,
		Query:  r.URL.Query(),
		Header: r.Header.Clone(),
	}
	if r.PostForm != nil {
		rec.Form = cloneValues(r.PostForm)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests = append(s.requests, rec)
}

func cloneValues(v url.Values) url.Values {
	if v == nil {
		return nil
	}
	out := make(url.Values, len(v))
	for k, vs := range v {
		out[k] = append([]string(nil), vs...)
	}
	return out
}

// serverToken reports whether the request's X-Plex-Token opens the Plex Media
// Server routes. Only the header counts: the spec's security scheme puts the
// token there, and a client leaking it into the URL should notice here.
func (s *Simulator) serverToken(r *http.Request) bool {
	tok := r.Header.Get("X-Plex-Token")
	if tok == "" {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return tok == s.admin || s.transient[tok]
}

// issueTransient makes and remembers a new transient token.
func (s *Simulator) issueTransient() string {
	b := make([]byte, 16)
	rand.Read(b) // never fails (crypto/rand panics rather than return an error)
	tok := "transient-" + hex.EncodeToString(b)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.transient[tok] = true
	return tok
}

// accountFor returns the account a plex.tv token belongs to.
func (s *Simulator) accountFor(tok string) (account, bool) {
	if tok == "" {
		return account{}, false
	}
	s.mu.Lock()
	admin := s.admin
	s.mu.Unlock()
	if tok == admin {
		a := s.users[0].account
		a.AuthToken = admin
		return a, true
	}
	for _, u := range s.users[1:] {
		if u.AuthToken == tok {
			return u.account, true
		}
	}
	s.mu.Lock()
	i, ok := s.pinTokens[tok]
	s.mu.Unlock()
	if !ok {
		return account{}, false
	}
	a := s.users[i].account
	a.AuthToken = tok
	return a, true
}

// remoteIP is the key failed sign-ins are counted under.
func remoteIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
