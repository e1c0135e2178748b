package plextest

import (
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
)

// Server is a Simulator served by an httptest server on 127.0.0.1. One URL
// serves both the Plex Media Server and the plex.tv routes.
type Server struct {
	*Simulator
	URL string

	ts    *httptest.Server
	conns atomic.Int64
}

// NewServer starts a plain HTTP simulator. Close it when done.
func NewServer() *Server { return start(false) }

// NewTLSServer starts an HTTPS simulator; Client trusts its certificate.
func NewTLSServer() *Server { return start(true) }

func start(useTLS bool) *Server {
	s := &Server{Simulator: New()}
	s.ts = httptest.NewUnstartedServer(s.Simulator)
	// Counting new connections lets tests prove keep-alive reuse and warm-up.
	s.ts.Config.ConnState = func(_ net.Conn, st http.ConnState) {
		if st == http.StateNew {
			s.conns.Add(1)
		}
	}
	// Faults break connections on purpose; the server's complaints are noise.
	s.ts.Config.ErrorLog = log.New(io.Discard, "", 0)
	if useTLS {
		s.ts.StartTLS()
	} else {
		s.ts.Start()
	}
	s.URL = s.ts.URL
	return s
}

// Close drops every connection, so that a request stuck in a Latency fault
// cannot hold it up, and shuts the server down.
func (s *Server) Close() {
	s.ts.CloseClientConnections()
	s.ts.Close()
}

// Connections reports how many TCP connections the server has accepted.
func (s *Server) Connections() int64 { return s.conns.Load() }

// Client returns an HTTP client for the server; for a TLS server it trusts
// the server's certificate.
func (s *Server) Client() *http.Client { return s.ts.Client() }
