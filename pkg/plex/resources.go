package plex

import (
	"cmp"
	"context"
	"net/http"
	"slices"
	"strings"
)

// Resource is one device of the plex.tv account (GET /api/v2/resources).
// AccessToken is the token for THAT device (for a shared server, the
// account's own token to it); it is never marshalled with the rest, so that
// a response embedding a Resource cannot hand it out by accident.
type Resource struct {
	Name             string               `json:"name"`
	Product          string               `json:"product"`
	ProductVersion   string               `json:"productVersion"`
	ClientIdentifier string               `json:"clientIdentifier"`
	Provides         []string             `json:"provides"`
	Owned            bool                 `json:"owned"`
	Home             bool                 `json:"home"`
	Presence         bool                 `json:"presence"`
	HTTPSRequired    bool                 `json:"httpsRequired"`
	AccessToken      string               `json:"-"`
	Connections      []ResourceConnection `json:"connections"`
}

// ResourceConnection is one way to reach a Resource: a Connection, and
// whether its address is IPv6.
type ResourceConnection struct {
	Connection
	IPv6 bool `json:"IPv6"`
}

// IsServer reports whether the device is a Plex Media Server ("server" in provides).
func (r *Resource) IsServer() bool { return slices.Contains(r.Provides, "server") }

// SortConnections orders r's connections the way Plex clients try them:
// local, then remote, then relay; within each, https first when the server
// requires it. The order is otherwise kept (stable).
func (r *Resource) SortConnections() {
	rank := func(c ResourceConnection) int {
		switch {
		case c.Relay:
			return 2
		case c.Local:
			return 0
		}
		return 1
	}
	slices.SortStableFunc(r.Connections, func(a, b ResourceConnection) int {
		if n := cmp.Compare(rank(a), rank(b)); n != 0 || !r.HTTPSRequired {
			return n
		}
		return cmp.Compare(b2i(a.Protocol != "https"), b2i(b.Protocol != "https"))
	})
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// resourcesQuery asks for every kind of connection a client may use.
const resourcesQuery = "includeHttps=1&includeRelay=1&includeIPv6=1"

// Resources lists the account's devices, servers and clients, with their
// connections, as plex.tv answers them (GET /api/v2/resources).
func (c *Client) Resources(ctx context.Context, token string) ([]Resource, error) {
	const op = OpResources
	if err := checkToken(op, token); err != nil {
		return nil, err
	}
	return exchange(ctx, c, &call{
		op: op, method: http.MethodGet, url: c.devices, token: token, secrets: []string{token},
	}, decodeResources)
}

type wireResource struct {
	Name             string                   `json:"name" xml:"name,attr"`
	Product          string                   `json:"product" xml:"product,attr"`
	ProductVersion   string                   `json:"productVersion" xml:"productVersion,attr"`
	ClientIdentifier string                   `json:"clientIdentifier" xml:"clientIdentifier,attr"`
	Provides         string                   `json:"provides" xml:"provides,attr"`
	Owned            flexBool                 `json:"owned" xml:"owned,attr"`
	Home             flexBool                 `json:"home" xml:"home,attr"`
	Presence         flexBool                 `json:"presence" xml:"presence,attr"`
	HTTPSRequired    flexBool                 `json:"httpsRequired" xml:"httpsRequired,attr"`
	AccessToken      string                   `json:"accessToken" xml:"accessToken,attr"`
	Connections      []wireResourceConnection `json:"connections" xml:"connections>connection"`
}

type wireResourceConnection struct {
	wireConnection
	IPv6 flexBool `json:"IPv6" xml:"IPv6,attr"`
}

// decodeResources reads the JSON array plex.tv sends (XML: <MediaContainer>
// with <Device> elements). Devices without a clientIdentifier are dropped:
// nothing could address them. The list and each Connections are never nil.
func decodeResources(f format, body []byte) ([]Resource, error) {
	var wires []wireResource
	switch f {
	case formatXML:
		c, err := decode[struct {
			Devices []wireResource `xml:"Device"`
		}](f, body, false)
		if err != nil {
			return nil, err
		}
		wires = c.Devices
	default:
		var err error
		if wires, err = decode[[]wireResource](f, body, false); err != nil {
			return nil, err
		}
	}
	out := make([]Resource, 0, len(wires))
	for _, w := range wires {
		if w.ClientIdentifier == "" {
			continue
		}
		r := Resource{
			Name:             w.Name,
			Product:          w.Product,
			ProductVersion:   w.ProductVersion,
			ClientIdentifier: w.ClientIdentifier,
			Provides:         splitProvides(w.Provides),
			Owned:            bool(w.Owned),
			Home:             bool(w.Home),
			Presence:         bool(w.Presence),
			HTTPSRequired:    bool(w.HTTPSRequired),
			AccessToken:      w.AccessToken,
			Connections:      make([]ResourceConnection, len(w.Connections)),
		}
		for i, wc := range w.Connections {
			r.Connections[i] = ResourceConnection{Connection: wc.public(), IPv6: bool(wc.IPv6)}
		}
		out = append(out, r)
	}
	return out, nil
}

func splitProvides(s string) []string {
	out := []string{}
	for p := range strings.SplitSeq(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}
