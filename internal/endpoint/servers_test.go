package endpoint

import (
	"slices"
	"strings"
	"testing"

	"github.com/plexauth/plexauth/internal/api/apitest"
	"github.com/plexauth/plexauth/pkg/plex/plextest"
)

func TestServers(t *testing.T) {
	p := apitest.NewPlex(t)
	ev := apitest.Event{Method: "GET", Path: "/servers"}
	get := ev.Authorized()
	query := func(q string) apitest.Event { e := get; e.Query = q; return e }
	serverTokens := []string{plextest.OwnedServerToken, plextest.SharedServerToken, plextest.SecureServerToken}

	type conn struct {
		Protocol, URI string
		Local, Relay  bool
	}
	type srv struct {
		Name, ClientIdentifier, ProductVersion, AccessToken string
		Owned, Presence                                     bool
		Connections                                         []conn
	}
	decode := func(t *testing.T, r apitest.Response) []srv {
		var out struct{ Servers []srv }
		r.Decode(t, &out)
		return out.Servers
	}
	// ids checks which servers came back, in plex.tv's order, and whether
	// each carries its access token.
	ids := func(tokens bool, want ...string) func(*testing.T, apitest.Response) {
		return func(t *testing.T, r apitest.Response) {
			var got []string
			for _, s := range decode(t, r) {
				got = append(got, s.ClientIdentifier)
				if (s.AccessToken != "") != tokens {
					t.Errorf("server %s: access token present = %v, want %v", s.ClientIdentifier, s.AccessToken != "", tokens)
				}
			}
			if !slices.Equal(got, want) {
				t.Errorf("servers %v, want %v", got, want)
			}
			if !tokens {
				for _, tok := range serverTokens {
					if strings.Contains(r.Body, tok) {
						t.Error("body holds a server access token")
					}
				}
			}
		}
	}
	all := []string{plextest.ServerID, plextest.SharedServerID, plextest.SecureServerID}
	scoped := func(routes ...string) *apitest.Secrets {
		return apitest.NewSecrets(apitest.ValueWith(apitest.AdminToken, apitest.Tester.On(routes...)))
	}
	cases := []apitest.Case{
		{Name: "every server, no player", Event: get, Status: 200, Check: ids(false, all...)},
		{Name: "connections local, remote, relay", Event: query("clientIdentifier=" + plextest.ServerID), Status: 200,
			Check: func(t *testing.T, r apitest.Response) {
				s := decode(t, r)
				if len(s) != 1 {
					t.Fatalf("servers %+v, want one", s)
				}
				var kinds []string
				for _, c := range s[0].Connections {
					kinds = append(kinds, map[[2]bool]string{{true, false}: "local", {false, false}: "remote", {false, true}: "relay"}[[2]bool{c.Local, c.Relay}])
				}
				if want := []string{"local", "local", "remote", "relay"}; !slices.Equal(kinds, want) {
					t.Errorf("connection order %v, want %v", kinds, want)
				}
				if s[0].Name != "Sim Media Server" || !s[0].Owned || !s[0].Presence || s[0].ProductVersion != plextest.ServerVersion {
					t.Errorf("server %+v: fields not passed on", s[0])
				}
			}},
		{Name: "https first where required", Event: query("clientIdentifier=" + plextest.SecureServerID), Status: 200,
			Check: func(t *testing.T, r apitest.Response) {
				s := decode(t, r)
				if len(s) != 1 || len(s[0].Connections) != 2 || s[0].Connections[0].Protocol != "https" {
					t.Errorf("servers %+v: want the https connection first", s)
				}
			}},
		{Name: "owned=true", Event: query("owned=true"), Status: 200, Check: ids(false, plextest.ServerID, plextest.SecureServerID)},
		{Name: "owned=1", Event: query("owned=1"), Status: 200, Check: ids(false, plextest.ServerID, plextest.SecureServerID)},
		{Name: "owned=false", Event: query("owned=false"), Status: 200, Check: ids(false, plextest.SharedServerID)},
		{Name: "name, any case", Event: query("name=friend%27s+server"), Status: 200, Check: ids(false, plextest.SharedServerID)},
		{Name: "name and owned disagree", Event: query("name=Friend%27s+Server&owned=true"), Status: 200, Check: ids(false)},
		{Name: "unknown clientIdentifier", Event: query("clientIdentifier=ffff"), Status: 200, Check: ids(false)},
		{Name: "the player is no server", Event: query("clientIdentifier=" + plextest.PlayerID), Status: 200, Check: ids(false)},
		{Name: "bad owned", Event: query("owned=yes"), Status: 400, Code: "invalid_request", Check: apitest.Names("owned")},
		{Name: "bad includeTokens", Event: query("includeTokens=please"), Status: 400, Code: "invalid_request", Check: apitest.Names("includeTokens")},
		{Name: "bad clientIdentifier", Event: query("clientIdentifier=a%2Fb"), Status: 400, Code: "invalid_request", Check: apitest.Names("clientIdentifier")},
		{Name: "clientIdentifier too long", Event: query("clientIdentifier=" + strings.Repeat("a", 129)), Status: 400, Code: "invalid_request", Check: apitest.Names("clientIdentifier")},
		{Name: "name with a control character", Event: query("name=a%01b"), Status: 400, Code: "invalid_request", Check: apitest.Names("name")},
		// Tokens: asked for, and the key may call transient-token (all routes here).
		{Name: "includeTokens, key for every route", Event: query("includeTokens=true"), Status: 200, Hidden: serverTokens, Check: ids(true, all...)},
		{Name: "includeTokens, key for servers and transient-token", Event: query("includeTokens=true"), Secrets: scoped("servers", "transient-token"),
			Status: 200, Hidden: serverTokens, Check: ids(true, all...)},
		{Name: "includeTokens, key for servers only", Event: query("includeTokens=true"), Secrets: scoped("servers"), Status: 200, Check: ids(false, all...)},
		{Name: "tokens not asked for", Event: get, Secrets: scoped("servers", "transient-token"), Status: 200, Check: ids(false, all...)},
		{Name: "includeTokens=false", Event: query("includeTokens=false"), Status: 200, Check: ids(false, all...)},
		{Name: "plex.tv rejects the admin token", Event: get, Setup: func(*testing.T) { p.SetFault(plextest.RouteDevices, plextest.Fault{Status: 401}) },
			Status: 403, Code: "plex_unauthorized"},
	}
	cases = append(cases, apitest.AuthCases(ev, "POST")...)
	cases = append(cases, p.FaultCases(ev, plextest.RouteDevices)...)
	cases = append(cases, p.RotationCases(ev, plextest.RouteDevices, 403, "plex_unauthorized")...)
	apitest.Run(t, p.Handler(build(Servers, Deps{Plex: p.Client})), cases)
}
