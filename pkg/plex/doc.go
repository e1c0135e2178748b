// Package plex is a small client for the four Plex authentication operations
// plexauth exposes: a transient token and a source's connection details from a
// Plex Media Server, and a token's account and a sign-in on plex.tv.
//
// It speaks the wire as described by the Plex OpenAPI spec: the token travels
// only in the X-Plex-Token header, every request sends exactly
// "Accept: application/json" and one stable client identity, and answers are
// read by their Content-Type (JSON, or the XML older servers send).
//
// Failures are *Error values; callers switch on their kind with errors.Is
// (ErrUnauthorized, ErrRateLimited, ...) and read details with errors.As.
package plex
