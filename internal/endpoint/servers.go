package endpoint

import (
	"context"
	"net/http"
	"strings"
	"unicode"

	"github.com/plexauth/plexauth/internal/api"
	"github.com/plexauth/plexauth/pkg/plex"
)

// tokenScope is the route a caller must be allowed on for /servers to hand
// it servers' access tokens: an owned server's token is admin-level, which
// is what transient-token mints. A key for /servers alone gets addresses only.
var tokenScope = Transient.Scope()

type serversResponse struct {
	Servers []server `json:"servers"`
}

type server struct {
	Name             string                    `json:"name"`
	ClientIdentifier string                    `json:"clientIdentifier"`
	Owned            bool                      `json:"owned"`
	ProductVersion   string                    `json:"productVersion"`
	Presence         bool                      `json:"presence"`
	HTTPSRequired    bool                      `json:"httpsRequired"`
	AccessToken      string                    `json:"accessToken,omitempty"`
	Connections      []plex.ResourceConnection `json:"connections"`
}

// serverFilter is /servers' optional query: each set field must match.
type serverFilter struct {
	owned          *bool
	name, clientID string
	includeTokens  bool
}

func (f serverFilter) match(r *plex.Resource) bool {
	return r.IsServer() &&
		(f.owned == nil || r.Owned == *f.owned) &&
		(f.name == "" || strings.EqualFold(r.Name, f.name)) &&
		(f.clientID == "" || r.ClientIdentifier == f.clientID)
}

// readServerFilter reads and checks the filters; a bad one is a 400 naming it.
func readServerFilter(p *api.Params) (serverFilter, error) {
	var f serverFilter
	if p.String("owned") != "" {
		owned := p.Bool("owned")
		f.owned = &owned
	}
	f.name = strings.TrimSpace(p.String("name"))
	f.clientID = strings.TrimSpace(p.String("clientIdentifier"))
	f.includeTokens = p.Bool("includeTokens")
	if err := p.Err(); err != nil {
		return f, err
	}
	if len(f.name) > 256 || strings.ContainsFunc(f.name, func(r rune) bool { return !unicode.IsPrint(r) }) {
		return f, api.InvalidField("name", "must be printable text of at most 256 bytes")
	}
	if len(f.clientID) > 128 || strings.ContainsFunc(f.clientID, func(r rune) bool {
		return !(r < 0x80 && (unicode.IsLetter(r) || unicode.IsDigit(r) || r == '-' || r == '_' || r == '.'))
	}) {
		return f, api.InvalidField("clientIdentifier", "must be at most 128 letters, digits, '-', '_' or '.'")
	}
	return f, nil
}

// Servers serves GET /servers: the Plex Media Servers the admin account can
// reach (plex.tv's resources that provide "server"), each with its
// connections in the order clients try them.
var Servers = Route{
	Route: api.Route{Path: "/servers", Methods: []string{http.MethodGet}},
	Name:  "servers",
	Host:  plex.PlexTVHost,
	op: func(d Deps) api.Op {
		return func(ctx context.Context, r *api.Request) (any, error) {
			f, err := readServerFilter(r.Params())
			if err != nil {
				return nil, err
			}
			resources, err := api.AsAdmin(ctx, r, d.Plex.Resources)
			if err != nil {
				return nil, err
			}
			withTokens := f.includeTokens && r.MayCall(tokenScope)
			out := serversResponse{Servers: []server{}}
			for i := range resources {
				res := &resources[i]
				if !f.match(res) {
					continue
				}
				res.SortConnections()
				s := server{
					Name: res.Name, ClientIdentifier: res.ClientIdentifier, Owned: res.Owned,
					ProductVersion: res.ProductVersion, Presence: res.Presence, HTTPSRequired: res.HTTPSRequired,
					Connections: res.Connections,
				}
				if withTokens {
					s.AccessToken = res.AccessToken
				}
				out.Servers = append(out.Servers, s)
			}
			return out, nil
		}
	},
}
