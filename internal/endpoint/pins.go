package endpoint

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode"

	"github.com/plexauth/plexauth/internal/api"
	"github.com/plexauth/plexauth/internal/config"
	"github.com/plexauth/plexauth/internal/signinguard"
	"github.com/plexauth/plexauth/pkg/plex"
)

// PIN sign-in ("Sign in with Plex"): POST /pins creates a PIN at plex.tv
// under the caller's own device, the user approves it in a browser, and
// GET /pins/{id} collects the token. Both routes share the scope "pins": a
// caller that may create a PIN must be able to collect it.
const pinScope = "pins"

// PinPollInterval is how often one PIN may be checked. plex.tv answers 429
// to clients that poll too fast and publishes no threshold; its own clients
// poll about once a second, so one check per 2 s per PIN stays well inside
// that while a person approving never waits noticeably.
const PinPollInterval = 2 * time.Second

// MaxForwardURL bounds a forwardUrl: it travels in the Auth App URL.
const MaxForwardURL = 1024

// pinKeyLabel names the PIN id key derived from the admin token: rotating
// the token invalidates the ids handed out, which a PIN's 15-30 minute life
// makes harmless (the caller creates a new one).
const pinKeyLabel = "plexauth pin id v1"

type createPinResponse struct {
	ID        string `json:"id"`
	Code      string `json:"code"`
	AuthURL   string `json:"authUrl"`
	QR        string `json:"qr"`
	ExpiresAt string `json:"expiresAt"`
}

type checkPinResponse struct {
	Status    string     `json:"status"` // "pending" or "authorized"
	AuthToken string     `json:"authToken,omitempty"`
	User      *plex.User `json:"user,omitempty"`
}

// CreatePin serves POST /pins with an optional forwardUrl: a strong PIN at
// plex.tv, answered 201 with the opaque id to poll, the code, the Auth App
// URL the user opens, the QR link and the expiry.
var CreatePin = Route{
	Route: api.Route{Path: "/pins", Methods: []string{http.MethodPost}, ScopeName: pinScope},
	Name:  "pins",
	Host:  plex.PlexTVHost,
	op: func(d Deps) api.Op {
		return func(ctx context.Context, r *api.Request) (any, error) {
			p := r.Params()
			forward := p.String("forwardUrl")
			if err := p.Err(); err != nil {
				return nil, err
			}
			if err := checkForwardURL(forward); err != nil {
				return nil, err
			}
			id := pinIdentity(d.Config, r.Caller)
			pin, err := d.Plex.CreatePin(ctx, id)
			if err != nil {
				return nil, err
			}
			// plex.tv's lifetime from now, on this clock: no skew with plex.tv's.
			expires := time.Now().Add(pin.ExpiresIn).Truncate(time.Second)
			return api.Created(createPinResponse{
				ID:        sealPin(r.SecretKey(pinKeyLabel), r.Caller, pin.ID, expires),
				Code:      pin.Code,
				AuthURL:   d.Plex.AuthAppURL(id.ClientIdentifier, pin.Code, id.Product, forward),
				QR:        pin.QR,
				ExpiresAt: expires.UTC().Format(time.RFC3339),
			}), nil
		}
	},
}

// CheckPin serves GET /pins/{id}: pending, or authorized with the token and
// its account, or 410 once plex.tv has let it expire. An id this caller was
// not given is a 404 and an expired one a 410, both without calling plex.tv;
// so is a check sooner than PinPollInterval after the last (429).
var CheckPin = Route{
	Route: api.Route{Path: "/pins/{id}", Methods: []string{http.MethodGet}, ScopeName: pinScope},
	Name:  "pin",
	Host:  plex.PlexTVHost,
	op: func(d Deps) api.Op {
		polls := signinguard.NewSpacer(PinPollInterval, 0) // one per process: it outlives requests
		return func(ctx context.Context, r *api.Request) (any, error) {
			raw := r.PathParam("id")
			pinID, expires, ok := openPin(r.SecretKey(pinKeyLabel), r.Caller, raw)
			switch {
			case !ok:
				return nil, api.PinNotFound()
			case !time.Now().Before(expires):
				return nil, api.PinExpired()
			}
			if wait, held := polls.Admit(raw); held {
				return nil, api.RateLimited("this PIN was checked less than "+PinPollInterval.String()+" ago; poll more slowly", wait)
			}
			pin, err := d.Plex.CheckPin(ctx, pinIdentity(d.Config, r.Caller), pinID)
			if err != nil {
				return nil, err
			}
			if pin.AuthToken == "" {
				return checkPinResponse{Status: "pending"}, nil
			}
			u, err := d.Plex.User(ctx, pin.AuthToken)
			if err != nil {
				return nil, err
			}
			return checkPinResponse{Status: "authorized", AuthToken: pin.AuthToken, User: u}, nil
		}
	},
}

// pinIdentity is the caller's own Plex device: a stable client identifier
// derived from the configured one and the caller's name (never the
// identifier the admin token belongs to, which an approval would rotate
// out), named after the caller in Authorized Devices.
func pinIdentity(c config.Config, caller string) plex.Identity {
	sum := sha256.Sum256([]byte(caller))
	name := strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return '?'
		}
		return r
	}, caller)
	return plex.Identity{
		ClientIdentifier: c.ClientIdentifier + "-" + hex.EncodeToString(sum[:8]),
		Product:          c.Product + " (" + name + ")",
		DeviceName:       name,
	}
}

// checkForwardURL takes "" or an absolute https URL (http for a loopback
// host, for local tests) without credentials, at most MaxForwardURL long.
func checkForwardURL(raw string) error {
	if raw == "" {
		return nil
	}
	const field = "forwardUrl"
	if len(raw) > MaxForwardURL {
		return api.InvalidField(field, "is longer than 1024 bytes")
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || u.Opaque != "" || u.User != nil ||
		!(u.Scheme == "https" || u.Scheme == "http" && config.Loopback(u.Hostname())) {
		return api.InvalidField(field, "must be an absolute https URL (http only for a loopback host) without credentials")
	}
	return nil
}

// A PIN id is version, plex.tv's PIN id and the expiry (unix seconds), then
// HMAC-SHA256 over those and the caller's name, base64url without padding:
// everything polling needs travels in it, and no other caller, nor anyone
// without the key, can make or alter one.
const (
	pinVersion  = 1
	pinBody     = 1 + 8 + 8
	pinIDLength = pinBody + sha256.Size
)

func sealPin(key []byte, caller string, pinID int64, expires time.Time) string {
	b := make([]byte, pinBody, pinIDLength)
	b[0] = pinVersion
	binary.BigEndian.PutUint64(b[1:], uint64(pinID))
	binary.BigEndian.PutUint64(b[9:], uint64(expires.Unix()))
	return base64.RawURLEncoding.EncodeToString(pinMAC(key, caller, b))
}

// pinMAC appends body's MAC for caller to body.
func pinMAC(key []byte, caller string, body []byte) []byte {
	m := hmac.New(sha256.New, key)
	m.Write(body)
	m.Write([]byte(caller))
	return m.Sum(body)
}

// openPin checks id's MAC for caller and returns what it binds; ok is false
// for anything else (malformed, forged, altered, another caller's).
func openPin(key []byte, caller, id string) (pinID int64, expires time.Time, ok bool) {
	if len(id) != base64.RawURLEncoding.EncodedLen(pinIDLength) {
		return 0, time.Time{}, false
	}
	b, err := base64.RawURLEncoding.DecodeString(id)
	if err != nil || len(b) != pinIDLength || b[0] != pinVersion {
		return 0, time.Time{}, false
	}
	if !hmac.Equal(pinMAC(key, caller, b[:pinBody:pinBody]), b) {
		return 0, time.Time{}, false
	}
	pinID = int64(binary.BigEndian.Uint64(b[1:]))
	if pinID <= 0 {
		return 0, time.Time{}, false
	}
	return pinID, time.Unix(int64(binary.BigEndian.Uint64(b[9:])), 0), true
}
