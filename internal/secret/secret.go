// Package secret reads the Plex admin token and the callers' key hashes from
// one Secrets Manager secret, caches them, and authenticates and authorizes
// callers.
//
// The secret is JSON, {"plexToken":"…","callers":{"<name>":<caller>}}, where a
// caller is "sha256:<hex>" (every route) or {"key":"sha256:<hex>",
// "routes":[…],"expires":"<RFC 3339>"}; or a plain string holding the admin
// token alone. With no callers every caller is refused: the functions fail
// closed.
package secret

import (
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"
)

// Errors returned by Parse, Store.Get and Store.Refresh wrap one of these.
// Both mean the function cannot serve (503); neither text holds secret content.
var (
	ErrUnavailable = errors.New("secret unavailable") // Secrets Manager failed and no usable value is cached
	ErrMalformed   = errors.New("secret malformed")   // the secret's value does not have the expected shape
)

// Errors returned by Value.Authorize.
var (
	ErrUnknownKey = errors.New("no caller has this key")             // wrong key, or an expired one
	ErrForbidden  = errors.New("the caller may not call this route") // a valid key outside its routes
)

// Value is the content of the secret. Values returned by a Store share their
// Callers map: treat it as read-only.
type Value struct {
	PlexToken string            // admin X-Plex-Token
	Callers   map[string]Caller // by caller name
}

// Caller is one caller's entry in the secret.
type Caller struct {
	Hash    [32]byte  // sha256 of its key
	Routes  []string  // the routes (scopes) it may call; nil: every route
	Expires time.Time // the key is refused from this instant on; zero: never
}

// Allows reports whether route is among the caller's routes.
func (c Caller) Allows(route string) bool {
	return c.Routes == nil || slices.Contains(c.Routes, route)
}

func (c Caller) expired(now time.Time) bool {
	return !c.Expires.IsZero() && !now.Before(c.Expires)
}

// Authorize reports which caller key belongs to and whether it may call route
// at now. It hashes key and compares the hash with every caller's in constant
// time, never stopping at a match, so the time taken says nothing about which
// caller, if any, matched. An expired key is ErrUnknownKey, exactly like a
// wrong one; a valid key outside its routes is ErrForbidden, with the
// caller's name.
func (v Value) Authorize(key, route string, now time.Time) (caller string, err error) {
	if key == "" {
		return "", ErrUnknownKey
	}
	sum := sha256.Sum256([]byte(key))
	var match Caller
	found := false
	for name, c := range v.Callers {
		if subtle.ConstantTimeCompare(sum[:], c.Hash[:]) == 1 {
			caller, match, found = name, c, true
		}
	}
	switch {
	case !found || match.expired(now):
		return "", ErrUnknownKey
	case !match.Allows(route):
		return caller, ErrForbidden
	}
	return caller, nil
}

// String, GoString and LogValue keep the token out of anything that prints a
// Value by accident (fmt, %#v, slog).
func (v Value) String() string {
	return fmt.Sprintf("secret.Value{PlexToken: %s, Callers: %d}", redacted(v.PlexToken), len(v.Callers))
}

func (v Value) GoString() string { return v.String() }

func (v Value) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("plexToken", redacted(v.PlexToken)),
		slog.Int("callers", len(v.Callers)),
	)
}

// String, GoString and LogValue show a Caller's scope, never its hash.
func (c Caller) String() string {
	routes := "all"
	if c.Routes != nil {
		routes = fmt.Sprint(c.Routes)
	}
	expires := "never"
	if !c.Expires.IsZero() {
		expires = c.Expires.Format(time.RFC3339)
	}
	return fmt.Sprintf("secret.Caller{Hash: [redacted], Routes: %s, Expires: %s}", routes, expires)
}

func (c Caller) GoString() string { return c.String() }

func (c Caller) LogValue() slog.Value { return slog.StringValue(c.String()) }

func redacted(s string) string {
	if s == "" {
		return `""`
	}
	return "[redacted]"
}
