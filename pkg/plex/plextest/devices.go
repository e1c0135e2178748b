package plextest

import (
	"encoding/xml"
	"strconv"
)

// Server access tokens /api/v2/resources hands out (fake, like every fixture).
const (
	OwnedServerToken  = "sim-owned-server-token-0001"
	SharedServerToken = "sim-shared-server-token-0001"
	SecureServerToken = "sim-secure-server-token-0001"
	SharedServerID    = "b2c3d4e5f6a7"
	SecureServerID    = "c3d4e5f6a7b8"
	PlayerID          = "d4e5f6a7b8c9"
)

// plexDevice is the spec's PlexDevice, every required field present.
type plexDevice struct {
	Name                   string             `json:"name" xml:"name,attr"`
	Product                string             `json:"product" xml:"product,attr"`
	ProductVersion         string             `json:"productVersion" xml:"productVersion,attr"`
	Platform               *string            `json:"platform" xml:"platform,attr"`
	PlatformVersion        *string            `json:"platformVersion" xml:"platformVersion,attr"`
	Device                 *string            `json:"device" xml:"device,attr"`
	ClientIdentifier       string             `json:"clientIdentifier" xml:"clientIdentifier,attr"`
	CreatedAt              string             `json:"createdAt" xml:"createdAt,attr"`
	LastSeenAt             string             `json:"lastSeenAt" xml:"lastSeenAt,attr"`
	Provides               string             `json:"provides" xml:"provides,attr"`
	OwnerID                *int               `json:"ownerId" xml:"ownerId,attr"`
	SourceTitle            *string            `json:"sourceTitle" xml:"sourceTitle,attr"`
	PublicAddress          string             `json:"publicAddress" xml:"publicAddress,attr"`
	AccessToken            string             `json:"accessToken" xml:"accessToken,attr"`
	Owned                  bool               `json:"owned" xml:"owned,attr"`
	Home                   bool               `json:"home" xml:"home,attr"`
	Synced                 bool               `json:"synced" xml:"synced,attr"`
	Relay                  bool               `json:"relay" xml:"relay,attr"`
	Presence               bool               `json:"presence" xml:"presence,attr"`
	HTTPSRequired          bool               `json:"httpsRequired" xml:"httpsRequired,attr"`
	PublicAddressMatches   bool               `json:"publicAddressMatches" xml:"publicAddressMatches,attr"`
	DNSRebindingProtection bool               `json:"dnsRebindingProtection" xml:"dnsRebindingProtection,attr"`
	NATLoopbackSupported   bool               `json:"natLoopbackSupported" xml:"natLoopbackSupported,attr"`
	Connections            []deviceConnection `json:"connections" xml:"connections>connection"`
}

type deviceConnection struct {
	Protocol string `json:"protocol" xml:"protocol,attr"`
	Address  string `json:"address" xml:"address,attr"`
	Port     int    `json:"port" xml:"port,attr"`
	URI      string `json:"uri" xml:"uri,attr"`
	Local    bool   `json:"local" xml:"local,attr"`
	Relay    bool   `json:"relay" xml:"relay,attr"`
	IPv6     bool   `json:"IPv6" xml:"IPv6,attr"`
}

type devicesXML struct {
	XMLName xml.Name     `xml:"MediaContainer"`
	Devices []plexDevice `xml:"Device"`
}

// defaultDevices is the admin account's view: its own server (LAN, remote
// and relay connections, listed out of order so that a client must sort
// them), a server shared with it (no relay, offline), its own server that
// requires https (an http connection listed before the https one), and a
// player, which provides no "server".
func defaultDevices() []plexDevice {
	const created, seen = "2021-04-12T18:21:12Z", "2026-01-01T00:00:00Z"
	conn := func(proto, addr string, port int, local, relay, v6 bool) deviceConnection {
		host := addr
		if v6 {
			host = "[" + addr + "]"
		}
		return deviceConnection{Protocol: proto, Address: addr, Port: port, URI: proto + "://" + host + ":" + itoa(port), Local: local, Relay: relay, IPv6: v6}
	}
	server := func(name, id, token string, owned bool) plexDevice {
		return plexDevice{
			Name: name, Product: "Plex Media Server", ProductVersion: ServerVersion,
			Platform: ptr("Linux"), PlatformVersion: ptr("6.8"), Device: ptr("PC"),
			ClientIdentifier: id, CreatedAt: created, LastSeenAt: seen, Provides: "server",
			PublicAddress: "198.51.100.7", AccessToken: token, Owned: owned, Home: owned, Presence: true,
			Connections: []deviceConnection{},
		}
	}
	owned := server("Sim Media Server", ServerID, OwnedServerToken, true)
	owned.Relay = true
	owned.Connections = []deviceConnection{
		conn("https", "203.0.113.50", 8443, false, true, false),
		conn("https", "198.51.100.7", 32400, false, false, false),
		conn("https", "192.168.1.10", 32400, true, false, false),
		conn("https", "2001:db8::10", 32400, true, false, true),
	}
	shared := server("Friend's Server", SharedServerID, SharedServerToken, false)
	shared.OwnerID = ptr(2001)
	shared.SourceTitle = ptr("friend")
	shared.Presence = false
	shared.Connections = []deviceConnection{conn("https", "198.51.100.20", 32400, false, false, false)}
	secure := server("Sim Secure Server", SecureServerID, SecureServerToken, true)
	secure.HTTPSRequired = true
	secure.Connections = []deviceConnection{
		conn("http", "192.168.1.30", 32400, true, false, false),
		conn("https", "192.168.1.30", 32443, true, false, false),
	}
	player := plexDevice{
		Name: "Living Room TV", Product: "Plex for Android (TV)", ProductVersion: "10.20.0",
		Platform: ptr("Android"), PlatformVersion: ptr("12"), Device: ptr("SHIELD"),
		ClientIdentifier: PlayerID, CreatedAt: created, LastSeenAt: seen, Provides: "player,pubsub-player",
		PublicAddress: "198.51.100.7", AccessToken: "sim-player-token-0001", Owned: true, Home: true, Presence: true,
		Connections: []deviceConnection{conn("http", "192.168.1.40", 32500, true, false, false)},
	}
	return []plexDevice{owned, shared, secure, player}
}

func itoa(n int) string { return strconv.Itoa(n) }
