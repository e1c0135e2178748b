package plex

import (
	"context"
	"errors"
	"net/http"
	"net/url"
)

// TransientToken asks the Plex Media Server for a transient token with the
// access of token (/security/token?type=delegation&scope=all).
//
// The current spec makes it a POST; the earlier spec, python-plexapi and
// Tautulli use GET, which real servers have answered for years. The client
// sends POST first; a 404 or 405 means this server takes the other verb, so
// it retries once with it and keeps the verb that worked for the Client's
// life (a Lambda container's): the fallback is paid once, not per call.
func (c *Client) TransientToken(ctx context.Context, token string) (string, error) {
	const op = "transient token"
	if err := c.checkServerCall(op, token); err != nil {
		return "", err
	}
	send := func(method string) (string, error) {
		return exchange(ctx, c, &call{
			op: op, method: method, url: c.transient,
			token: token, server: true, secrets: []string{token},
		}, decodeTransient)
	}
	i := c.transientVerb.Load()
	tok, err := send(transientVerbs[i])
	if !wrongVerb(err) {
		return tok, err
	}
	other := 1 - i
	if tok, err = send(transientVerbs[other]); err == nil {
		c.transientVerb.Store(other)
	}
	return tok, err
}

// transientVerbs are the verbs TransientToken may use, in the order tried.
var transientVerbs = [2]string{http.MethodPost, http.MethodGet}

// wrongVerb reports whether err says the server does not take the method
// at that path: 405, or the 404 some servers give for an unrouted method.
func wrongVerb(err error) bool {
	var pe *Error
	return errors.As(err, &pe) && (pe.Status == http.StatusNotFound || pe.Status == http.StatusMethodNotAllowed)
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
	case !ValidHeaderValue(token):
		return invalid(op, "token holds a character not allowed in a header")
	}
	return nil
}
