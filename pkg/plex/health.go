package plex

import (
	"context"
	"net/http"
)

// ServerIdentity is a Plex Media Server's answer to GET /identity: that it is up,
// and which server it is.
type ServerIdentity struct {
	MachineIdentifier string `json:"machineIdentifier"`
	Version           string `json:"version"`
	Claimed           bool   `json:"claimed"`
}

// Ping tells plex.tv the token is in use (GET /api/v2/ping), which keeps it
// from expiring. Any 200 will do: the "pong" says nothing more. Like User, an
// ErrUnauthorized answer means plex.tv does not accept the token.
func (c *Client) Ping(ctx context.Context, token string) error {
	const op = OpPing
	if err := checkToken(op, token); err != nil {
		return err
	}
	_, err := c.do(ctx, &call{op: op, method: http.MethodGet, url: c.ping, token: token, secrets: []string{token}})
	return err
}

// Identity asks the Plex Media Server who it is (GET /identity). It needs no
// token, so it proves the server answers, not that the admin token works there.
func (c *Client) Identity(ctx context.Context) (*ServerIdentity, error) {
	const op = OpIdentity
	if c.server == nil {
		return nil, notConfigured(op)
	}
	return exchange(ctx, c, &call{op: op, method: http.MethodGet, url: c.identity, server: true}, decodeIdentity)
}

type identityContainer struct {
	Claimed           flexBool `json:"claimed" xml:"claimed,attr"`
	MachineIdentifier string   `json:"machineIdentifier" xml:"machineIdentifier,attr"`
	Version           string   `json:"version" xml:"version,attr"`
}

func decodeIdentity(f format, body []byte) (*ServerIdentity, error) {
	w, err := decode[identityContainer](f, body, true)
	if err != nil {
		return nil, err
	}
	if w.MachineIdentifier == "" {
		return nil, errNoIdentity
	}
	return &ServerIdentity{MachineIdentifier: w.MachineIdentifier, Version: w.Version, Claimed: bool(w.Claimed)}, nil
}
