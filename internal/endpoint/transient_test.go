package endpoint

import (
	"strings"
	"testing"

	"github.com/plexauth/plexauth/internal/api"
	"github.com/plexauth/plexauth/internal/api/apitest"
	"github.com/plexauth/plexauth/pkg/plex"
	"github.com/plexauth/plexauth/pkg/plex/plextest"
)

func TestTransient(t *testing.T) {
	p := apitest.NewPlex(t)
	ev := apitest.Event{Method: "POST", Path: "/transient-token"}
	post := ev.Authorized()
	cases := []apitest.Case{
		{Name: "transient token", Event: post, Status: 200, Log: map[string]any{
			"route": "/transient-token", "method": "POST", "caller": apitest.CallerName, "secretCache": "hit", "level": "INFO", "plexStatus": float64(200),
		}, Check: func(t *testing.T, r apitest.Response) {
			var out map[string]string
			r.Decode(t, &out)
			if !strings.HasPrefix(out["token"], "transient-") || len(out) != 1 {
				t.Errorf("body = %s, want {\"token\":\"transient-…\"}", r.Body)
			}
			reqs := p.Requests()
			if len(reqs) != 1 || reqs[0].Header.Get("X-Plex-Token") != plextest.AdminToken {
				t.Errorf("Plex got %d requests; want one with the admin token", len(reqs))
			}
		}},
		{Name: "json body ignored", Event: post.JSONBody(`{"scope":"all"}`), Status: 200},
		{Name: "form body ignored", Event: post.FormBody("scope=all"), Status: 200},
		{Name: "base64 body", Event: post.JSONBody(`{"scope":"all"}`).Encoded(), Status: 200},
	}
	cases = append(cases, apitest.AuthCases(ev, "GET")...)
	cases = append(cases, apitest.BodyCases(post)...)
	cases = append(cases, p.FaultCases(ev, plextest.RouteTransient)...)
	cases = append(cases, p.RotationCases(ev, plextest.RouteTransient, 403, "plex_unauthorized")...)
	apitest.Run(t, p.Handler(build(Transient, Deps{Plex: p.Client})), cases)
}

// TestServerURLMissing: a client built without a server URL is the
// deployment's mistake, so the server routes answer 500 misconfigured (not
// the caller's 400), and the log line names the setting to fix.
func TestServerURLMissing(t *testing.T) {
	c, err := plex.New(plex.Config{PlexTVURL: "http://127.0.0.1:1", ClientIdentifier: "plexauth-test"})
	if err != nil {
		t.Fatal(err)
	}
	message := func(t *testing.T, r apitest.Response) {
		if r.Error.Message != "the service is misconfigured" {
			t.Errorf("message %q, want only that the service is misconfigured", r.Error.Message)
		}
	}
	log := map[string]any{"setting": "PLEX_SERVER_URL", "level": "ERROR", "plexKind": "not configured"}
	for name, tc := range map[string]struct {
		handler func(api.Shared) *api.Handler
		event   apitest.Event
	}{
		"transient": {build(Transient, Deps{Plex: c}), apitest.Event{Method: "POST", Path: "/transient-token"}},
		"sources": {build(Sources, Deps{Plex: c}),
			apitest.Event{Method: "GET", Path: "/sources", Query: "source=" + plextest.ServerSource}},
		"sources post": {build(Sources, Deps{Plex: c}),
			apitest.Event{Method: "POST", Path: "/sources"}.FormBody("source=" + plextest.ServerSource)},
	} {
		t.Run(name, func(t *testing.T) {
			apitest.Run(t, tc.handler, []apitest.Case{
				{Name: "no server url", Event: tc.event.Authorized(), Status: 500, Code: "misconfigured", Log: log, Check: message},
			})
		})
	}
}
