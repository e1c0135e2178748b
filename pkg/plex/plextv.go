package plex

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
)

// User returns the plex.tv account behind token (GET /api/v2/user). An
// ErrUnauthorized answer (any 401 or 422, whatever its code) means plex.tv
// does not accept the token; any other failure proves nothing about it.
func (c *Client) User(ctx context.Context, token string) (*User, error) {
	const op = OpUser
	if err := checkToken(op, token); err != nil {
		return nil, err
	}
	return exchange(ctx, c, &call{
		op: op, method: http.MethodGet, url: c.user,
		token: token, secrets: []string{token},
	}, decodeUser)
}

// SignIn signs in to plex.tv with a login and password (and a two-factor
// code when the account needs one) and returns the account with its
// AuthToken. It is not retried once plex.tv may have seen it: repeated
// failed sign-ins get the caller's IP blocked.
func (c *Client) SignIn(ctx context.Context, cr Credentials) (*User, error) {
	const op = OpSignIn
	switch {
	case cr.Login == "":
		return nil, invalid(op, "login is empty")
	case cr.Password == "":
		return nil, invalid(op, "password is empty")
	}
	form := url.Values{
		"login":      {cr.Login},
		"password":   {cr.Password},
		"rememberMe": {strconv.FormatBool(cr.RememberMe)},
	}
	if cr.VerificationCode != "" {
		form.Set("verificationCode", cr.VerificationCode)
	}
	return exchange(ctx, c, &call{
		op: op, method: http.MethodPost, url: c.signIn, form: form.Encode(),
		signIn: true, // no secrets: a sign-in keeps none of Plex's message
	}, decodeSignIn)
}

// decodeSignIn is decodeUser for a sign-in, whose answer must hold the token.
func decodeSignIn(f format, b []byte) (*User, error) {
	u, err := decodeUser(f, b)
	if err == nil && u.AuthToken == "" {
		err = errNoAuthToken
	}
	return u, err
}
