// Package secret reads the Plex admin token and the callers' key hashes from
// one Secrets Manager secret, caches them, and authenticates callers.
//
// The secret is JSON, {"plexToken":"…","callers":{"<name>":"sha256:<hex>"}},
// or a plain string holding the admin token alone. With no callers every
// caller is refused: the functions fail closed.
package secret

import (
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"log/slog"
)

// Errors returned by Parse, Store.Get and Store.Refresh wrap one of these.
// Both mean the function cannot serve (503); neither text holds secret content.
var (
	ErrUnavailable = errors.New("secret unavailable") // Secrets Manager failed and no usable value is cached
	ErrMalformed   = errors.New("secret malformed")   // the secret's value does not have the expected shape
)

// Value is the content of the secret. Values returned by a Store share their
// Callers map: treat it as read-only.
type Value struct {
	PlexToken string              // admin X-Plex-Token
	Callers   map[string][32]byte // caller name -> sha256 of its key
}

// Authenticate reports which caller key belongs to. It hashes key and compares
// the hash with every caller's in constant time, never stopping at a match, so
// the time taken says nothing about which caller, if any, matched.
func (v Value) Authenticate(key string) (caller string, ok bool) {
	if key == "" {
		return "", false
	}
	sum := sha256.Sum256([]byte(key))
	for name, h := range v.Callers {
		if subtle.ConstantTimeCompare(sum[:], h[:]) == 1 {
			caller, ok = name, true
		}
	}
	return caller, ok
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

func redacted(s string) string {
	if s == "" {
		return `""`
	}
	return "[redacted]"
}
