package plex

import (
	"context"
	"net/http"
	"net/url"
)

// TransientToken asks the Plex Media Server for a transient token with the
// access of token (POST /security/token?type=delegation&scope=all).
func (c *Client) TransientToken(ctx context.Context, token string) (string, error) {
	const op = "transient token"
	if err := c.checkServerCall(op, token); err != nil {
		return "", err
	}
	return exchange(ctx, c, &call{
		op: op, method: http.MethodPost, url: c.transient,
		token: token, server: true, secrets: []string{token},
	}, decodeTransient)
}

// Source returns the connection information of a source the server knows
// (GET /security/resources). q.Source is validated before any request.
func (c *Client) Source(ctx context.Context, token string, q SourceQuery) (*Device, error) {
	const op = OpSource
	if err := ValidateSource(q.Source); err != nil {
		return nil, err
	}
	if err := c.checkServerCall(op, token); err != nil {
		return nil, err
	}
	query := "source=" + url.QueryEscape(q.Source)
	if q.Refresh {
		query += "&refresh=1"
	}
	return exchange(ctx, c, &call{
		op: op, method: http.MethodGet, url: c.resources, query: query,
		token: token, server: true, secrets: []string{token},
	}, decodeDevice)
}

func (c *Client) checkServerCall(op, token string) error {
	if c.server == nil {
		return notConfigured(op)
	}
	return checkToken(op, token)
}

// checkToken refuses a token that could not travel in a header.
func checkToken(op, token string) error {
	switch {
	case token == "":
		return invalid(op, "token is empty")
	case !validHeaderValue(token):
		return invalid(op, "token holds a character not allowed in a header")
	}
	return nil
}
