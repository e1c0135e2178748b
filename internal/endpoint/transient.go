package endpoint

import (
	"context"
	"net/http"

	"github.com/plexauth/plexauth/internal/api"
	"github.com/plexauth/plexauth/pkg/plex"
)

// TransientTokener is the Plex call this endpoint makes (*plex.Client).
type TransientTokener interface {
	TransientToken(ctx context.Context, token string) (string, error)
}

var _ TransientTokener = (*plex.Client)(nil)

type transientResponse struct {
	Token string `json:"token"`
}

// Transient serves POST /transient-token: a transient token made from the
// admin token, for a workflow that must not hold the admin token itself.
func Transient(c TransientTokener) *api.Handler {
	return &api.Handler{
		Route:   "/transient-token",
		Methods: []string{http.MethodPost},
		Op: func(ctx context.Context, r *api.Request) (any, error) {
			tok, err := api.AsAdmin(ctx, r, c.TransientToken)
			if err != nil {
				return nil, err
			}
			return transientResponse{Token: tok}, nil
		},
	}
}
