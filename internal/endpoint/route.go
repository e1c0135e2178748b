package endpoint

import (
	"context"
	"slices"

	"github.com/plexauth/plexauth/internal/api"
	"github.com/plexauth/plexauth/internal/config"
	"github.com/plexauth/plexauth/pkg/plex"
)

// Route is one endpoint's whole declaration. Adding an endpoint is one Route
// in All, one functions/<Name>/main.go and its function in template.yaml.
type Route struct {
	api.Route           // path (the scope is the path without its slash) and methods
	Name      string    // the function's folder, functions/<Name>
	Host      plex.Host // the Plex host the Op calls, warmed at init
	op        func(Deps) api.Op
}

// All lists every endpoint, in the README's order.
var All = []Route{Transient, Sources, Details, SignIn, CreatePin, CheckPin, Servers}

// Deps is what a route's handler is built from, once per process.
type Deps struct {
	api.Shared
	Plex   Plex
	Config config.Config // the settings; sign-in's guard limits come from it
}

// Plex is the Plex calls the endpoints make: *plex.Client, or recorded
// answers in the handler benchmark.
type Plex interface {
	TransientToken(ctx context.Context, token string) (string, error)
	Source(ctx context.Context, token string, q plex.SourceQuery) (*plex.Device, error)
	User(ctx context.Context, token string) (*plex.User, error)
	SignIn(ctx context.Context, cr plex.Credentials) (*plex.User, error)
	CreatePin(ctx context.Context, id plex.Identity) (*plex.Pin, error)
	CheckPin(ctx context.Context, id plex.Identity, pinID int64) (*plex.Pin, error)
	AuthAppURL(clientID, code, product, forwardURL string) string
	Resources(ctx context.Context, token string) ([]plex.Resource, error)
}

var _ Plex = (*plex.Client)(nil)

// Handler builds the route's complete handler from d.
func (r Route) Handler(d Deps) *api.Handler {
	ar := r.Route
	ar.Function = r.Name
	return api.NewHandler(ar, r.op(d), d.Shared)
}

// Scopes lists every route's scope once, the names a caller's "routes" in
// the secret may hold. Every function checks the secret against all of them,
// so all agree on whether it is malformed.
func Scopes() []string {
	var out []string
	for _, r := range All {
		if !slices.Contains(out, r.Scope()) {
			out = append(out, r.Scope())
		}
	}
	return out
}
