package main

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/plexauth/plexauth/internal/api"
	"github.com/plexauth/plexauth/pkg/plex"
)

// userGetter is the Plex call this function makes (*plex.Client).
type userGetter interface {
	User(ctx context.Context, token string) (*plex.User, error)
}

var _ userGetter = (*plex.Client)(nil)

type response struct {
	Valid bool       `json:"valid"`
	User  *plex.User `json:"user,omitempty"`
}

// newHandler serves GET and POST /token-details: the account behind the
// caller's X-Plex-Token, or behind the admin token when none is sent.
func newHandler(c userGetter) *api.Handler {
	return &api.Handler{
		Route:   "/token-details",
		Methods: []string{http.MethodGet, http.MethodPost},
		Op: func(ctx context.Context, r *api.Request) (any, error) {
			var u *plex.User
			var err error
			if tok := strings.TrimSpace(r.Header("X-Plex-Token")); tok != "" {
				u, err = c.User(ctx, tok)
			} else {
				u, err = api.AsAdmin(ctx, r, c.User)
			}
			// Only plex.tv's 401/422 says the token is bad; a 5xx or a
			// timeout proves nothing about it and stays an error.
			if errors.Is(err, plex.ErrUnauthorized) {
				r.Note(err)
				return response{Valid: false}, nil
			}
			if err != nil {
				return nil, err
			}
			return response{Valid: true, User: u}, nil
		},
	}
}
