package plex

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// Identity is the device a PIN is created and checked under: its
// X-Plex-Client-Identifier, and the X-Plex-Product and X-Plex-Device-Name
// the account's Authorized Devices shows. The token an approval gives
// belongs to that device, and plex.tv keeps one token per (account, client
// identifier): a PIN approved under the Client's own identifier would rotate
// the token that identifier holds out. So PIN calls take their identity per
// call, and the Client's fixed one is never used for them.
type Identity struct {
	ClientIdentifier string // required
	Product          string // default: the Client's X-Plex-Product
	DeviceName       string // optional
}

// Pin is a plex.tv PIN, as POST and GET /api/v2/pins answer it.
type Pin struct {
	ID               int64
	Code             string
	ClientIdentifier string
	QR               string
	ExpiresIn        time.Duration // from when plex.tv answered
	AuthToken        string        // "" until the user approves
}

// CreatePin asks plex.tv for a strong PIN (POST /api/v2/pins?strong=true),
// the long code a browser approves at the Auth App.
func (c *Client) CreatePin(ctx context.Context, id Identity) (*Pin, error) {
	const op = OpCreatePin
	h, err := c.identityHeader(op, id)
	if err != nil {
		return nil, err
	}
	return exchange(ctx, c, &call{
		op: op, method: http.MethodPost, url: c.pins, query: "strong=true",
		header: h, created: true,
	}, decodePin)
}

// CheckPin returns the PIN's state (GET /api/v2/pins/{id}) under the identity
// it was created with; its AuthToken is set once the user has approved it. An
// expired or unknown PIN is an ErrNotFound (plex.tv's 404, code 1020).
func (c *Client) CheckPin(ctx context.Context, id Identity, pinID int64) (*Pin, error) {
	const op = OpCheckPin
	if pinID <= 0 {
		return nil, invalid(op, "PIN id must be positive")
	}
	h, err := c.identityHeader(op, id)
	if err != nil {
		return nil, err
	}
	u := *c.pins
	u.Path += "/" + strconv.FormatInt(pinID, 10)
	return exchange(ctx, c, &call{op: op, method: http.MethodGet, url: &u, header: h}, decodePin)
}

// identityHeader is the Client's header with id's identity in place of its
// own, each value checked like the Client's.
func (c *Client) identityHeader(op string, id Identity) (http.Header, error) {
	if id.ClientIdentifier == "" {
		return nil, invalid(op, "client identifier is empty")
	}
	h := c.header.Clone()
	delete(h, "X-Plex-Device-Name")
	for _, f := range []struct{ name, value string }{
		{"X-Plex-Client-Identifier", id.ClientIdentifier},
		{"X-Plex-Product", id.Product},
		{"X-Plex-Device-Name", id.DeviceName},
	} {
		if f.value == "" {
			continue
		}
		if !ValidHeaderValue(f.value) {
			return nil, invalid(op, f.name+" holds a character not allowed in a header")
		}
		h[f.name] = []string{f.value}
	}
	return h, nil
}

type wirePin struct {
	ID               flexInt `json:"id" xml:"id,attr"`
	Code             string  `json:"code" xml:"code,attr"`
	ClientIdentifier string  `json:"clientIdentifier" xml:"clientIdentifier,attr"`
	QR               string  `json:"qr" xml:"qr,attr"`
	ExpiresIn        flexInt `json:"expiresIn" xml:"expiresIn,attr"`
	AuthToken        string  `json:"authToken" xml:"authToken,attr"`
}

var errNoPin = errors.New("no PIN id, code or lifetime in the answer")

// decodePin needs an id, a code and a lifetime for the answer to be a PIN.
func decodePin(f format, body []byte) (*Pin, error) {
	w, err := decode[wirePin](f, body, false)
	if err != nil {
		return nil, err
	}
	if w.ID <= 0 || w.Code == "" || w.ExpiresIn <= 0 {
		return nil, errNoPin
	}
	return &Pin{
		ID:               int64(w.ID),
		Code:             w.Code,
		ClientIdentifier: w.ClientIdentifier,
		QR:               w.QR,
		ExpiresIn:        time.Duration(w.ExpiresIn) * time.Second,
		AuthToken:        w.AuthToken,
	}, nil
}

// AuthAppURL is the Auth App page where the user approves a PIN, the
// parameters in its fragment as Plex's own clients send them; forwardURL,
// when set, is where the Auth App sends the browser afterwards. With the
// real plex.tv the Auth App is app.plex.tv; a plex.tv test double plays
// it under its own /auth.
func (c *Client) AuthAppURL(clientID, code, product, forwardURL string) string {
	q := url.Values{
		"clientID":                 {clientID},
		"code":                     {code},
		"context[device][product]": {product},
	}
	if forwardURL != "" {
		q.Set("forwardUrl", forwardURL)
	}
	return c.authApp + "#?" + q.Encode()
}

// DefaultAuthAppURL is where users approve PINs of the real plex.tv.
const DefaultAuthAppURL = "https://app.plex.tv/auth"
