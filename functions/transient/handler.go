package main

import (
	"context"
	"net/http"

	"github.com/plexauth/plexauth/internal/api"
	"github.com/plexauth/plexauth/pkg/plex"
)

// transientTokener is the Plex call this function makes (*plex.Client).
type transientTokener interface {
	TransientToken(ctx context.Context, token string) (string, error)
}

var _ transientTokener = (*plex.Client)(nil)

type response struct {
	Token string `json:"token"`
}

// newHandler serves POST /transient-token: a transient token made from the
// admin token, for a workflow that must not hold the admin token itself.
func newHandler(c transientTokener) *api.Handler {
	return &api.Handler{
		Route:   "/transient-token",
		Methods: []string{http.MethodPost},
		Op: func(ctx context.Context, r *api.Request) (any, error) {
			tok, err := api.AsAdmin(ctx, r, c.TransientToken)
			if err != nil {
				return nil, err
			}
			return response{Token: tok}, nil
		},
	}
}
