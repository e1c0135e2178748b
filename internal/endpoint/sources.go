package endpoint

import (
	"context"
	"net/http"

	"github.com/plexauth/plexauth/internal/api"
	"github.com/plexauth/plexauth/pkg/plex"
)

type sourcesResponse struct {
	Device *plex.Device `json:"device"`
}

// Sources serves GET /sources?source=…&refresh=… and POST /sources with
// {"source","refresh"}: a source's connection details, read with the admin token.
var Sources = Route{
	Route: api.Route{Path: "/sources", Methods: []string{http.MethodGet, http.MethodPost}},
	Name:  "sources",
	Host:  plex.ServerHost,
	op: func(d Deps) api.Op {
		return func(ctx context.Context, r *api.Request) (any, error) {
			p := r.Params()
			q := plex.SourceQuery{Source: p.Required("source"), Refresh: p.Bool("refresh")}
			if err := p.Err(); err != nil {
				return nil, err
			}
			if plex.ValidateSource(q.Source) != nil {
				return nil, api.InvalidField("source", "must be server://<client-identifier> or provider://<provider-identifier>")
			}
			d, err := api.AsAdmin(ctx, r, func(ctx context.Context, tok string) (*plex.Device, error) {
				return d.Plex.Source(ctx, tok, q)
			})
			if err != nil {
				return nil, err
			}
			if d.Connections == nil {
				d.Connections = []plex.Connection{} // a stable shape: [] rather than null
			}
			return sourcesResponse{Device: d}, nil
		}
	},
}
