package plextest

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"html/template"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// PinLifetime is how long a simulated strong PIN lives, plex.tv's default;
// FirstPinID is the id of the first PIN a simulator makes (ids then count up).
const (
	PinLifetime = 900 * time.Second
	FirstPinID  = 100001
)

const codePinNotFound = 1020

func init() { codeMessages[codePinNotFound] = "Code not found or expired" }

// pin is one PIN plex.tv handed out.
type pin struct {
	id        int64
	code      string
	clientID  string
	product   string
	createdAt time.Time
	expiresAt time.Time
	token     string // set once approved
}

// pinJSON is the AuthPinContainer the earlier spec describes.
type pinJSON struct {
	ID               int64     `json:"id"`
	Code             string    `json:"code"`
	Product          string    `json:"product"`
	Trusted          bool      `json:"trusted"`
	QR               string    `json:"qr"`
	ClientIdentifier string    `json:"clientIdentifier"`
	Location         geoJSON   `json:"location"`
	ExpiresIn        int       `json:"expiresIn"`
	CreatedAt        string    `json:"createdAt"`
	ExpiresAt        string    `json:"expiresAt"`
	AuthToken        *string   `json:"authToken"`
	NewRegistration  *struct{} `json:"newRegistration"`
}

type geoJSON struct {
	Code                       string `json:"code"`
	ContinentCode              string `json:"continent_code"`
	Country                    string `json:"country"`
	City                       string `json:"city"`
	EuropeanUnionMember        bool   `json:"european_union_member"`
	TimeZone                   string `json:"time_zone"`
	PostalCode                 string `json:"postal_code"`
	InPrivacyRestrictedCountry bool   `json:"in_privacy_restricted_country"`
	InPrivacyRestrictedRegion  bool   `json:"in_privacy_restricted_region"`
	Subdivisions               string `json:"subdivisions"`
	Coordinates                string `json:"coordinates"`
}

type pinXML struct {
	XMLName          struct{} `xml:"pin"`
	ID               int64    `xml:"id,attr"`
	Code             string   `xml:"code,attr"`
	ClientIdentifier string   `xml:"clientIdentifier,attr"`
	ExpiresIn        int      `xml:"expiresIn,attr"`
	AuthToken        string   `xml:"authToken,attr,omitempty"`
}

var simLocation = geoJSON{Code: "NL", ContinentCode: "EU", Country: "The Netherlands", City: "Breda",
	EuropeanUnionMember: true, TimeZone: "Europe/Amsterdam", PostalCode: "4814",
	Subdivisions: "North Brabant", Coordinates: "51.5869, 4.7471"}

func (p *pin) answer(w http.ResponseWriter, r *http.Request, status int, now time.Time) {
	v := pinJSON{
		ID: p.id, Code: p.code, Product: p.product, QR: "https://plex.tv/api/v2/pins/qr/" + p.code,
		ClientIdentifier: p.clientID, Location: simLocation,
		ExpiresIn: max(0, int(p.expiresAt.Sub(now).Seconds())),
		CreatedAt: p.createdAt.UTC().Format(time.RFC3339), ExpiresAt: p.expiresAt.UTC().Format(time.RFC3339),
	}
	if p.token != "" {
		v.AuthToken = &p.token
	}
	answer(w, r, status, v, pinXML{ID: p.id, Code: p.code, ClientIdentifier: p.clientID, ExpiresIn: v.ExpiresIn, AuthToken: p.token})
}

// servePins is plex.tv's POST /api/v2/pins[?strong=true].
func (s *Simulator) servePins(w http.ResponseWriter, r *http.Request) {
	if !allow(w, r, http.MethodPost) {
		return
	}
	strong := r.URL.Query().Get("strong")
	if strong != "" && strong != "true" && strong != "false" {
		plexFail(w, r, http.StatusBadRequest, 0)
		return
	}
	n := 4 // a short code for plex.tv/link
	if strong == "true" {
		n = 25
	}
	now := time.Now()
	p := &pin{code: randomCode(n), clientID: r.Header.Get("X-Plex-Client-Identifier"),
		product: r.Header.Get("X-Plex-Product"), createdAt: now}
	s.mu.Lock()
	p.expiresAt = now.Add(s.pinLifetime)
	p.id = FirstPinID + s.lastPin
	s.lastPin++
	s.pins[p.id] = p
	s.mu.Unlock()
	p.answer(w, r, http.StatusCreated, now)
}

// servePin is plex.tv's GET /api/v2/pins/{id}: only under the client
// identifier that created the PIN, and only until it expires.
func (s *Simulator) servePin(w http.ResponseWriter, r *http.Request) {
	if !allow(w, r, http.MethodGet) {
		return
	}
	id, err := strconv.ParseInt(strings.TrimPrefix(r.URL.Path, string(RoutePin)), 10, 64)
	if err != nil {
		plexFail(w, r, http.StatusBadRequest, 0)
		return
	}
	now := time.Now()
	s.mu.Lock()
	p, ok := s.pins[id]
	if ok && (!now.Before(p.expiresAt) || p.clientID != r.Header.Get("X-Plex-Client-Identifier")) {
		ok = false
	}
	var cp pin
	if ok {
		cp = *p
	}
	s.mu.Unlock()
	if !ok {
		plexFail(w, r, http.StatusNotFound, codePinNotFound)
		return
	}
	cp.answer(w, r, http.StatusOK, now)
}

// SetPinLifetime sets how long PINs made from now on live (PinLifetime by
// default), for a test that needs one to expire on its own.
func (s *Simulator) SetPinLifetime(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.pinLifetime = d
}

// ErrNoSuchPin: ApprovePin and ExpirePin know no live PIN with that code.
var ErrNoSuchPin = errors.New("plextest: no live PIN with that code")

// ApprovePin plays the user approving the PIN with code in the Auth App
// while signed in as UserLogin: the PIN then carries a new token for that
// account and the PIN's client identifier, which replaces the one an
// earlier approval gave the same pair (as plex.tv rotates it).
func (s *Simulator) ApprovePin(code string) (token string, err error) {
	b := make([]byte, 12)
	rand.Read(b)
	token = "sim-pin-token-" + hex.EncodeToString(b)
	now := time.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.pinByCode(code, now)
	if p == nil {
		return "", ErrNoSuchPin
	}
	if old, ok := s.deviceTokens[p.clientID]; ok {
		delete(s.pinTokens, old)
	}
	p.token = token
	s.deviceTokens[p.clientID] = token
	s.pinTokens[token] = 1 // users[1]: UserLogin
	return token, nil
}

// ExpirePin ends the PIN with code now, as its lifetime running out would.
func (s *Simulator) ExpirePin(code string) error {
	now := time.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.pinByCode(code, now)
	if p == nil {
		return ErrNoSuchPin
	}
	p.expiresAt = now
	return nil
}

// pinByCode finds a live PIN; s.mu is held.
func (s *Simulator) pinByCode(code string, now time.Time) *pin {
	for _, p := range s.pins {
		if p.code == code && now.Before(p.expiresAt) {
			return p
		}
	}
	return nil
}

// serveAuthApp is the simulator's stand-in for the Auth App (app.plex.tv/auth),
// where the PIN's parameters travel in the URL fragment, which browsers do not
// send: its page reads them and offers to approve the PIN at /link.
func (s *Simulator) serveAuthApp(w http.ResponseWriter, r *http.Request) {
	if allow(w, r, http.MethodGet) {
		write(w, http.StatusOK, "text/html; charset=utf-8", []byte(authAppPage))
	}
}

// serveLink approves the PIN whose code is in ?code= (GET, so that a person
// can open it, or curl it) as UserLogin, like ApprovePin.
func (s *Simulator) serveLink(w http.ResponseWriter, r *http.Request) {
	if !allow(w, r, http.MethodGet, http.MethodPost) {
		return
	}
	if _, err := s.ApprovePin(r.FormValue("code")); err != nil {
		write(w, http.StatusNotFound, "text/html; charset=utf-8", []byte("<!doctype html><p>No live PIN with that code: it expired, or was never made.</p>\n"))
		return
	}
	var b strings.Builder
	linkDone.Execute(&b, r.FormValue("forwardUrl"))
	write(w, http.StatusOK, "text/html; charset=utf-8", []byte(b.String()))
}

var linkDone = template.Must(template.New("done").Parse(`<!doctype html><title>Approved</title>
<p>Approved as ` + UserLogin + ` (simulated). The automation can now collect its token.</p>
{{if .}}<p><a href="{{.}}">Continue</a></p>{{end}}
`))

const authAppPage = `<!doctype html><title>Plex simulator: sign in with Plex</title>
<h1>Sign in with Plex (simulated)</h1>
<p id="what">Reading the request...</p>
<form action="/link" method="post"><input type="hidden" name="code" id="code"><input type="hidden" name="forwardUrl" id="fwd">
<button type="submit">Approve as ` + UserLogin + `</button></form>
<script>
const q = new URLSearchParams(location.hash.replace(/^#\??/, ""));
document.getElementById("code").value = q.get("code") || "";
document.getElementById("fwd").value = q.get("forwardUrl") || "";
document.getElementById("what").textContent = (q.get("context[device][product]") || "An app") + " asks to sign in to your Plex account.";
</script>
`

const codeAlphabet = "abcdefghijklmnopqrstuvwxyz0123456789"

func randomCode(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	for i := range b {
		b[i] = codeAlphabet[int(b[i])%len(codeAlphabet)]
	}
	return string(b)
}
