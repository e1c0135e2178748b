package plextest

import (
	"net/http"
	"strings"
)

type tokenJSON struct {
	MediaContainer struct {
		Size  int    `json:"size"`
		Token string `json:"token"`
	} `json:"MediaContainer"`
}

type deviceJSON struct {
	Name             string       `json:"name"`
	ClientIdentifier string       `json:"clientIdentifier"`
	AccessToken      string       `json:"accessToken"`
	Connections      []connection `json:"Connection"`
}

// resourcesJSON: Device is one object, not a list, as the server sends it.
type resourcesJSON struct {
	MediaContainer struct {
		Size   int        `json:"size"`
		Device deviceJSON `json:"Device"`
	} `json:"MediaContainer"`
}

func allow(w http.ResponseWriter, r *http.Request, methods ...string) bool {
	for _, m := range methods {
		if r.Method == m {
			return true
		}
	}
	w.Header().Set("Allow", strings.Join(methods, ", "))
	textFail(w, http.StatusMethodNotAllowed)
	return false
}

// serveTransient is POST (or GET, see SetTransientMethods)
// /security/token?type=delegation&scope=all.
func (s *Simulator) serveTransient(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	methods := s.transientMethods
	s.mu.Unlock()
	if !allow(w, r, methods...) {
		return
	}
	if !s.serverToken(r) {
		htmlFail(w, http.StatusForbidden)
		return
	}
	q := r.URL.Query()
	if q.Get("type") != "delegation" || q.Get("scope") != "all" {
		htmlFail(w, http.StatusBadRequest)
		return
	}
	var v tokenJSON
	v.MediaContainer.Token = s.issueTransient()
	answer(w, r, http.StatusOK, v, tokenXML{Token: v.MediaContainer.Token})
}

// serveResources is GET /security/resources?source=…&refresh=0|1. The spec
// documents no status for an unknown source; it gets a 404 page.
func (s *Simulator) serveResources(w http.ResponseWriter, r *http.Request) {
	if !allow(w, r, http.MethodGet) {
		return
	}
	if !s.serverToken(r) {
		htmlFail(w, http.StatusForbidden)
		return
	}
	q := r.URL.Query()
	src := q.Get("source")
	if refresh := q.Get("refresh"); src == "" || (refresh != "" && refresh != "0" && refresh != "1") {
		htmlFail(w, http.StatusBadRequest)
		return
	}
	known, ok := s.sources[src]
	if !ok {
		htmlFail(w, http.StatusNotFound)
		return
	}
	var v resourcesJSON
	v.MediaContainer.Size = 1
	v.MediaContainer.Device = deviceJSON{
		Name:             known.name,
		ClientIdentifier: known.id,
		AccessToken:      s.issueTransient(),
		Connections:      known.connections,
	}
	answer(w, r, http.StatusOK, v, deviceToXML(v.MediaContainer.Device))
}

// serveUser is plex.tv's GET /api/v2/user: the account behind the token.
func (s *Simulator) serveUser(w http.ResponseWriter, r *http.Request) {
	if !allow(w, r, http.MethodGet) {
		return
	}
	a, ok := s.accountFor(r.Header.Get("X-Plex-Token"))
	if !ok {
		plexFail(w, r, http.StatusUnauthorized, codeUnauthorized)
		return
	}
	answer(w, r, http.StatusOK, a, userToXML(a))
}

// serveSignIn is plex.tv's POST /api/v2/users/signin (form-encoded).
func (s *Simulator) serveSignIn(w http.ResponseWriter, r *http.Request) {
	if !allow(w, r, http.MethodPost) {
		return
	}
	ip := remoteIP(r)
	if s.blocked(ip) {
		plexFail(w, r, http.StatusUnauthorized, codeIPBlocked)
		return
	}
	login, pass, code := r.PostForm.Get("login"), r.PostForm.Get("password"), r.PostForm.Get("verificationCode")
	u := s.userByLogin(login)
	switch {
	case u == nil || u.password == "":
		u = nil
	case pass == u.password:
	case u.code != "" && code == "" && pass == u.password+u.code:
		code = u.code // older clients appended the code to the password
	default:
		u = nil
	}
	if u == nil {
		s.failed(ip)
		plexFail(w, r, http.StatusUnauthorized, codeUnauthorized)
		return
	}
	if u.TwoFactorEnabled {
		switch code {
		case "":
			// The password was right: asking for the code is not a failure.
			plexFail(w, r, http.StatusUnauthorized, codeCodeRequired)
			return
		case u.code:
		default:
			s.failed(ip)
			plexFail(w, r, http.StatusUnauthorized, codeBadCode)
			return
		}
	}
	s.succeeded(ip)
	v := signInAccount{account: u.account, PastSubscriptions: []struct{}{}, Trials: []struct{}{}}
	answer(w, r, http.StatusCreated, v, userToXML(u.account))
}

// userByLogin finds a user by username or email, ignoring case as plex.tv does.
func (s *Simulator) userByLogin(login string) *user {
	if login == "" {
		return nil
	}
	for _, u := range s.users {
		if strings.EqualFold(login, u.Username) || strings.EqualFold(login, u.Email) {
			return u
		}
	}
	return nil
}

func (s *Simulator) blocked(ip string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.failures[ip] >= MaxFailedSignIns
}

func (s *Simulator) failed(ip string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failures[ip]++
}

func (s *Simulator) succeeded(ip string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.failures, ip)
}
