package plextest

import (
	"encoding/xml"
	"net/http"
)

// Routes of the keep-alive's checks and of server discovery.
const (
	RoutePing     Route = "/api/v2/ping"      // plex.tv: keeps the token alive
	RouteIdentity Route = "/identity"         // Plex Media Server: who it is, no token
	RouteDevices  Route = "/api/v2/resources" // plex.tv: the account's servers and clients
	ServerVersion       = "1.41.3.9314-a0bfb8370"
)

type identityJSON struct {
	MediaContainer struct {
		Size              int    `json:"size"`
		Claimed           bool   `json:"claimed"`
		MachineIdentifier string `json:"machineIdentifier"`
		Version           string `json:"version"`
	} `json:"MediaContainer"`
}

type identityXML struct {
	XMLName           xml.Name `xml:"MediaContainer"`
	Size              int      `xml:"size,attr"`
	Claimed           string   `xml:"claimed,attr"`
	MachineIdentifier string   `xml:"machineIdentifier,attr"`
	Version           string   `xml:"version,attr"`
}

// serveIdentity is the server's GET /identity: it needs no token. Its machine
// identifier is ServerID, the owned server's clientIdentifier at plex.tv.
func (s *Simulator) serveIdentity(w http.ResponseWriter, r *http.Request) {
	if !allow(w, r, http.MethodGet) {
		return
	}
	var v identityJSON
	v.MediaContainer.Claimed = true
	v.MediaContainer.MachineIdentifier = ServerID
	v.MediaContainer.Version = ServerVersion
	answer(w, r, http.StatusOK, v, identityXML{Claimed: "1", MachineIdentifier: ServerID, Version: ServerVersion})
}

type pongXML struct {
	XMLName xml.Name `xml:"pong"`
}

// servePing is plex.tv's GET /api/v2/ping: a token plex.tv accepts gets its
// small "pong", any other a 401.
func (s *Simulator) servePing(w http.ResponseWriter, r *http.Request) {
	if !allow(w, r, http.MethodGet) {
		return
	}
	if _, ok := s.accountFor(r.Header.Get("X-Plex-Token")); !ok {
		plexFail(w, r, http.StatusUnauthorized, codeUnauthorized)
		return
	}
	answer(w, r, http.StatusOK, map[string]bool{"pong": true}, pongXML{})
}

// serveDevices is plex.tv's GET /api/v2/resources: the admin account's
// devices (see defaultDevices). Other accounts have none.
func (s *Simulator) serveDevices(w http.ResponseWriter, r *http.Request) {
	if !allow(w, r, http.MethodGet) {
		return
	}
	tok := r.Header.Get("X-Plex-Token")
	if _, ok := s.accountFor(tok); !ok {
		plexFail(w, r, http.StatusUnauthorized, codeUnauthorized)
		return
	}
	s.mu.Lock()
	admin := s.admin
	s.mu.Unlock()
	devices := []plexDevice{}
	if tok == admin {
		devices = defaultDevices()
	}
	answer(w, r, http.StatusOK, devices, devicesXML{Devices: devices})
}
