// Package endpoint holds the four plexauth endpoints as api.Handlers, each on
// the one Plex call it makes. The Lambda functions (functions/*) and the
// local server (cmd/local) serve these very handlers.
package endpoint

import "github.com/plexauth/plexauth/internal/api"

// Scopes lists every route's scope, the names a caller's "routes" in the
// secret may hold. Every function checks the secret against all of them, so
// all agree on whether it is malformed.
func Scopes() []string {
	// The handlers are built only to read their routes: no client is called.
	all := []*api.Handler{Transient(nil), Sources(nil), Details(nil), SignIn(nil, nil)}
	out := make([]string, len(all))
	for i, h := range all {
		out[i] = h.Scope()
	}
	return out
}
