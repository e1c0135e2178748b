package endpoint

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/plexauth/plexauth/internal/api"
	"github.com/plexauth/plexauth/pkg/plex"
)

type detailsResponse struct {
	Valid bool       `json:"valid"`
	User  *plex.User `json:"user,omitempty"`
	tokenKind
}

// tokenKind is what the token itself says, read without verifying it (see
// plex.InspectToken): its kind and, for a JWT, the expiry of its exp claim.
// ExpiresAtVerified is always false: it labels the time as the token's own
// claim, which only plex.tv could confirm. No other claim is echoed.
type tokenKind struct {
	TokenType         string     `json:"tokenType"`
	ExpiresAt         *time.Time `json:"expiresAt,omitempty"`
	ExpiresAtVerified *bool      `json:"expiresAtVerified,omitempty"`
}

func kindOf(tok string) tokenKind {
	kind, exp := plex.InspectToken(tok)
	k := tokenKind{TokenType: kind}
	if !exp.IsZero() {
		k.ExpiresAt, k.ExpiresAtVerified = &exp, new(bool)
	}
	return k
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
			var asked string // the token plex.tv was last asked about
			if tok := strings.TrimSpace(r.Header("X-Plex-Token")); tok != "" {
				asked = tok
				u, err = d.Plex.User(ctx, tok)
				if errors.Is(err, plex.ErrInvalidInput) { // e.g. control characters
					return nil, api.InvalidField("X-Plex-Token", "is not a valid token")
				}
			} else {
				u, err = api.AsAdmin(ctx, r, func(ctx context.Context, tok string) (*plex.User, error) {
					asked = tok
					return d.Plex.User(ctx, tok)
				})
			}
			// Only plex.tv's 401/422 says the token is bad; a 5xx or a
			// timeout proves nothing about it and stays an error.
			if errors.Is(err, plex.ErrUnauthorized) {
				r.Note(err)
				return detailsResponse{Valid: false, tokenKind: kindOf(asked)}, nil
			}
			if err != nil {
				return nil, err
			}
			return detailsResponse{Valid: true, User: u, tokenKind: kindOf(asked)}, nil
		}
	},
}
