package endpoint

import (
	"regexp"
	"slices"
	"testing"

	"github.com/plexauth/plexauth/internal/api"
	"github.com/plexauth/plexauth/internal/api/apitest"
)

// The scope names the secret's "routes" take are the paths without their
// slash, one per endpoint.
func TestScopes(t *testing.T) {
	want := []string{"transient-token", "sources", "token-details", "signin", "pins", "servers"} // both PIN routes share "pins"
	if got := Scopes(); !slices.Equal(got, want) {
		t.Errorf("Scopes() = %q, want %q", got, want)
	}
}

// Every endpoint refuses a key scoped to the other routes, before Plex.
func TestScopedKeyRefused(t *testing.T) {
	p := apitest.NewPlex(t)
	for _, r := range All {
		var others []string
		for _, s := range Scopes() {
			if s != r.Scope() {
				others = append(others, s)
			}
		}
		ev := apitest.Event{Method: r.Methods[0], Path: r.Path}.Authorized()
		apitest.Run(t, p.Handler(build(r, Deps{Plex: p.Client})), []apitest.Case{{
			Name:    r.Scope() + " with a key for the others",
			Event:   ev,
			Secrets: apitest.NewSecrets(apitest.ValueWith(apitest.AdminToken, apitest.Tester.On(others...))),
			Status:  403, Code: "forbidden",
			Check: func(t *testing.T, r apitest.Response) {
				if n := len(p.Requests()); n != 0 {
					t.Errorf("Plex got %d requests, want none", n)
				}
			},
		}})
	}
}

// build is a newHandler for apitest.Run: r's handler on d, with the case's
// shared dependencies.
func build(r Route, d Deps) func(api.Shared) *api.Handler {
	return func(s api.Shared) *api.Handler {
		d.Shared = s
		return r.Handler(d)
	}
}

// Each route names its function: a distinct lower-case folder name, which the
// Makefile maps back from the logical id by lower-casing it (deploytest's
// TestLogicalID).
func TestRouteNames(t *testing.T) {
	seen := map[string]bool{}
	for _, r := range All {
		if !regexp.MustCompile(`^[a-z][a-z0-9]*$`).MatchString(r.Name) || seen[r.Name] {
			t.Errorf("route %s: name %q is not a distinct lower-case folder name", r.Path, r.Name)
		}
		seen[r.Name] = true
	}
}
