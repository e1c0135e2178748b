package endpoint

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/plexauth/plexauth/internal/api"
	"github.com/plexauth/plexauth/pkg/plex"
)

type detailsResponse struct {
	Valid bool       `json:"valid"`
	User  *plex.User `json:"user,omitempty"`
}

// Details serves GET and POST /token-details: the account behind the
// caller's X-Plex-Token, or behind the admin token when none is sent.
var Details = Route{
	Route: api.Route{Path: "/token-details", Methods: []string{http.MethodGet, http.MethodPost}},
	Name:  "details",
	Host:  plex.PlexTVHost,
	op: func(d Deps) api.Op {
		return func(ctx context.Context, r *api.Request) (any, error) {
			var u *plex.User
			var err error
			if tok := strings.TrimSpace(r.Header("X-Plex-Token")); tok != "" {
				u, err = d.Plex.User(ctx, tok)
				if errors.Is(err, plex.ErrInvalidInput) { // e.g. control characters
					return nil, api.InvalidField("X-Plex-Token", "is not a valid token")
				}
			} else {
				u, err = api.AsAdmin(ctx, r, d.Plex.User)
			}
			// Only plex.tv's 401/422 says the token is bad; a 5xx or a
			// timeout proves nothing about it and stays an error.
			if errors.Is(err, plex.ErrUnauthorized) {
				r.Note(err)
				return detailsResponse{Valid: false}, nil
			}
			if err != nil {
				return nil, err
			}
			return detailsResponse{Valid: true, User: u}, nil
		}
	},
}
