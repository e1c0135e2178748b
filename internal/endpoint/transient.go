package endpoint

import (
	"context"
	"net/http"

	"github.com/plexauth/plexauth/internal/api"
	"github.com/plexauth/plexauth/pkg/plex"
)

type transientResponse struct {
	Token string `json:"token"`
}

// Transient serves POST /transient-token: a transient token made from the
// admin token, for a workflow that must not hold the admin token itself.
var Transient = Route{
	Route: api.Route{Path: "/transient-token", Methods: []string{http.MethodPost}},
	Name:  "transient",
	Host:  plex.ServerHost,
	op: func(d Deps) api.Op {
		return func(ctx context.Context, r *api.Request) (any, error) {
			tok, err := api.AsAdmin(ctx, r, d.Plex.TransientToken)
			if err != nil {
				return nil, err
			}
			return transientResponse{Token: tok}, nil
		}
	},
}
