package endpoint

import (
	"encoding/json"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/plexauth/plexauth/internal/api"
	"github.com/plexauth/plexauth/internal/api/apitest"
	"github.com/plexauth/plexauth/internal/redact/redacttest"
	"github.com/plexauth/plexauth/pkg/plex/plextest"
)

// TestEchoedSecrets runs every endpoint against a Plex whose errors repeat
// the request (token header, query, form) in several encodings, with hostile
// caller keys, admin tokens, user tokens, logins, passwords and codes, and
// checks every log line for every encoding of each of them.
func TestEchoedSecrets(t *testing.T) {
	p := apitest.NewPlex(t)
	for _, s := range slices.Concat(redacttest.Passwords, redacttest.Tokens) {
		admin := s
		if strings.ContainsFunc(s, func(r rune) bool { return r <= ' ' || r > '~' }) {
			admin = redacttest.Tokens[0] // an admin token is printable ASCII without spaces
		}
		store := apitest.NewSecrets(apitest.KeyValue(admin, s))
		auth := func(e apitest.Event) apitest.Event { return e.With("Authorization", "Bearer "+s) }
		field, _ := json.Marshal(s)
		body := `{"login":` + string(field) + `,"password":` + string(field) + `,"verificationCode":` + string(field) + `}`
		form := "login=" + url.QueryEscape(s) + "&password=" + url.QueryEscape(s) + "&verificationCode=" + url.QueryEscape(s)
		routes := []struct {
			name    string
			handler func(api.Shared) *api.Handler
			event   apitest.Event
			route   plextest.Route
		}{
			{"transient", build(Transient, Deps{Plex: p.Client}), apitest.Event{Method: "POST", Path: "/transient-token"}, plextest.RouteTransient},
			{"sources", build(Sources, Deps{Plex: p.Client}),
				apitest.Event{Method: "GET", Path: "/sources", Query: "source=" + url.QueryEscape(plextest.ServerSource)}, plextest.RouteResources},
			{"details admin", build(Details, Deps{Plex: p.Client}), apitest.Event{Method: "GET", Path: "/token-details"}, plextest.RouteUser},
			{"details header", build(Details, Deps{Plex: p.Client}),
				apitest.Event{Method: "GET", Path: "/token-details"}.With("X-Plex-Token", s), plextest.RouteUser},
			{"signin json", build(SignIn, Deps{Plex: p.Client}), apitest.Event{Method: "POST", Path: "/signin"}.JSONBody(body), plextest.RouteSignIn},
			{"signin form", build(SignIn, Deps{Plex: p.Client}), apitest.Event{Method: "POST", Path: "/signin"}.FormBody(form), plextest.RouteSignIn},
		}
		for _, r := range routes {
			t.Run(r.name+"/"+s, func(t *testing.T) {
				apitest.Run(t, p.Handler(r.handler), p.EchoCases(auth(r.event), r.route, store, s, admin))
			})
		}
	}
}
