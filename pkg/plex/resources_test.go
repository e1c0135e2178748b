package plex_test

import (
	"slices"
	"testing"

	"github.com/plexauth/plexauth/pkg/plex"
)

func TestSortConnections(t *testing.T) {
	c := func(uri string, local, relay bool) plex.ResourceConnection {
		proto := "https"
		if uri[:5] == "http:" {
			proto = "http"
		}
		return plex.ResourceConnection{Connection: plex.Connection{Protocol: proto, URI: uri, Local: local, Relay: relay}}
	}
	tests := []struct {
		name  string
		https bool
		in    []plex.ResourceConnection
		want  []string
	}{
		{"local, remote, relay", false,
			[]plex.ResourceConnection{c("https://relay", false, true), c("https://remote", false, false), c("https://lan", true, false)},
			[]string{"https://lan", "https://remote", "https://relay"}},
		{"order kept within a kind without httpsRequired", false,
			[]plex.ResourceConnection{c("http://lan", true, false), c("https://lan", true, false)},
			[]string{"http://lan", "https://lan"}},
		{"https first with httpsRequired", true,
			[]plex.ResourceConnection{c("http://remote", false, false), c("http://lan", true, false), c("https://lan", true, false), c("https://remote", false, false)},
			[]string{"https://lan", "http://lan", "https://remote", "http://remote"}},
		{"none", true, []plex.ResourceConnection{}, []string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := plex.Resource{HTTPSRequired: tt.https, Connections: tt.in}
			r.SortConnections()
			got := []string{}
			for _, c := range r.Connections {
				got = append(got, c.URI)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("order %v, want %v", got, tt.want)
			}
		})
	}
}

func TestIsServer(t *testing.T) {
	for provides, want := range map[string]bool{"server": true, "player,server": true, "player,pubsub-player": false, "": false, "servers": false} {
		r := plex.Resource{Provides: splitForTest(provides)}
		if r.IsServer() != want {
			t.Errorf("provides %q: IsServer = %v, want %v", provides, !want, want)
		}
	}
}

func splitForTest(s string) []string {
	if s == "" {
		return nil
	}
	var out []string
	start := 0
	for i := 0; i <= len(s); i++ {
		if i == len(s) || s[i] == ',' {
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	return out
}
