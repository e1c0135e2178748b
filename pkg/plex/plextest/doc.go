// Package plextest is a fake Plex Media Server and plex.tv for tests and
// local runs. It speaks the wire as the Plex OpenAPI spec describes it for the
// four operations plexauth uses: a transient token and a source's connection
// details (server routes, admin or transient token), a token's account and a
// sign-in (plex.tv routes), with JSON or XML answers chosen by Accept, Plex's
// error codes, two-factor sign-in, IP blocking after repeated failures, and
// injectable faults (latency, resets, truncated, non-JSON or oversized
// bodies, error statuses).
//
// New gives an http.Handler; NewServer and NewTLSServer run it on 127.0.0.1.
// Fixtures are the exported constants (AdminToken, UserLogin, ...).
package plextest
