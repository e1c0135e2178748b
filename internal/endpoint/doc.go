// Package endpoint holds the four plexauth endpoints as api.Handlers, each on
// the one Plex call it makes. The Lambda functions (functions/*) and the
// local server (cmd/local) serve these very handlers.
package endpoint
