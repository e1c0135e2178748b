package endpoint

import (
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/plexauth/plexauth/internal/api/apitest"
	"github.com/plexauth/plexauth/pkg/plex/plextest"
)

func TestSources(t *testing.T) {
	p := apitest.NewPlex(t)
	get := func(query string) apitest.Event {
		return apitest.Event{Method: "GET", Path: "/sources", Query: query}
	}
	ok := get("source=" + url.QueryEscape(plextest.ServerSource))
	post := apitest.Event{Method: "POST", Path: "/sources"}.Authorized()

	// device checks the answer's shape and what Plex was asked.
	device := func(source, refresh string) func(*testing.T, apitest.Response) {
		return func(t *testing.T, r apitest.Response) {
			var out struct {
				Device struct {
					Name, ClientIdentifier, AccessToken string
					Connections                         []struct{ URI string }
				}
			}
			r.Decode(t, &out)
			d := out.Device
			if d.Name == "" || d.ClientIdentifier == "" || !strings.HasPrefix(d.AccessToken, "transient-") || len(d.Connections) == 0 {
				t.Errorf("body = %s, want a device with connections", r.Body)
			}
			reqs := p.Requests()
			if len(reqs) != 1 {
				t.Fatalf("Plex got %d requests, want 1", len(reqs))
			}
			q := reqs[0].Query
			if q.Get("source") != source || q.Get("refresh") != refresh || reqs[0].Header.Get("X-Plex-Token") != plextest.AdminToken {
				t.Errorf("Plex asked source=%q refresh=%q; want %q %q with the admin token", q.Get("source"), q.Get("refresh"), source, refresh)
			}
		}
	}
	noCall := func(t *testing.T, r apitest.Response) {
		apitest.Names("source")(t, r)
		if n := len(p.Requests()); n != 0 {
			t.Errorf("Plex got %d requests for an invalid source", n)
		}
	}

	cases := []apitest.Case{
		{Name: "get server", Event: ok.Authorized(), Status: 200, Check: device(plextest.ServerSource, "")},
		{Name: "get provider refresh=1", Event: get("source=" + url.QueryEscape(plextest.ProviderSource) + "&refresh=1").Authorized(), Status: 200, Check: device(plextest.ProviderSource, "1")},
		{Name: "get refresh=true unescaped", Event: get("source=" + plextest.ServerSource + "&refresh=true").Authorized(), Status: 200, Check: device(plextest.ServerSource, "1")},
		{Name: "get refresh=false", Event: get("source=" + plextest.ServerSource + "&refresh=false").Authorized(), Status: 200, Check: device(plextest.ServerSource, "")},
		{Name: "post json", Event: post.JSONBody(`{"source":"` + plextest.ServerSource + `","refresh":true}`), Status: 200, Check: device(plextest.ServerSource, "1")},
		{Name: "post json without refresh", Event: post.JSONBody(`{"source":"` + plextest.ServerSource + `","other":1}`), Status: 200, Check: device(plextest.ServerSource, "")},
		{Name: "post json base64", Event: post.JSONBody(`{"source":"` + plextest.ServerSource + `"}`).Encoded(), Status: 200, Check: device(plextest.ServerSource, "")},
		{Name: "post form", Event: post.FormBody("source=" + url.QueryEscape(plextest.ServerSource) + "&refresh=1"), Status: 200, Check: device(plextest.ServerSource, "1")},
		// The server answers 404 for a source it does not know.
		{Name: "unknown source", Event: get("source=server://0000unknown").Authorized(), Status: 404, Code: "source_not_found",
			Log: map[string]any{"plexStatus": 404.0, "plexKind": "not found", "level": "INFO"}},
		{Name: "unknown provider", Event: post.JSONBody(`{"source":"provider://tv.plex.nothing"}`), Status: 404, Code: "source_not_found"},
		{Name: "get without source", Event: get("").Authorized(), Status: 400, Code: "invalid_request", Check: noCall},
		{Name: "post without source", Event: post.JSONBody(`{"refresh":true}`), Status: 400, Code: "invalid_request", Check: noCall},
		{Name: "post empty body", Event: post, Status: 400, Code: "invalid_request", Check: noCall},
		{Name: "source not a string", Event: post.JSONBody(`{"source":["server://a"]}`), Status: 400, Code: "invalid_request", Check: noCall},
		{Name: "refresh not a bool", Event: post.JSONBody(`{"source":"server://a","refresh":"yes"}`), Status: 400, Code: "invalid_request", Check: apitest.Names("refresh")},
		{Name: "refresh=maybe", Event: get("source=server://a&refresh=maybe").Authorized(), Status: 400, Code: "invalid_request", Check: apitest.Names("refresh")},
	}
	// Hostile sources never reach Plex: each could change the query or path.
	for i, s := range []string{
		"server://", "provider://", "http://evil.example", "SERVER://abc", "server:/abc", "abc",
		"server://a&X-Plex-Token=x", "server://a?refresh=1", "server://a#frag", "server://a/../b",
		"server://a b", "server://a%26b", "server://a\nb", "server://a\x00", "provider://ü",
		"server://" + strings.Repeat("a", 300), "server://a,server://b",
	} {
		cases = append(cases, apitest.Case{
			Name: fmt.Sprintf("hostile source %d", i), Event: get("source=" + url.QueryEscape(s)).Authorized(),
			Status: 400, Code: "invalid_request", Check: noCall,
		})
	}
	// POST shares every answer of GET: the same rows with a JSON body.
	postOK := apitest.Event{Method: "POST", Path: "/sources"}.JSONBody(`{"source":"` + plextest.ServerSource + `"}`)
	cases = append(cases, apitest.AuthCases(ok, "DELETE")...)
	cases = append(cases, apitest.AuthCases(postOK, "PUT")...)
	cases = append(cases, apitest.BodyCases(post)...)
	cases = append(cases, p.FaultCases(ok, plextest.RouteResources)...)
	cases = append(cases, p.FaultCases(postOK, plextest.RouteResources)...)
	cases = append(cases, p.RotationCases(ok, plextest.RouteResources, 403, "plex_unauthorized")...)
	apitest.Run(t, p.Handler(build(Sources, Deps{Plex: p.Client})), cases)
}
