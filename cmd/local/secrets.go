package main

import (
	"context"
	"crypto/rand"
	"crypto/sha256"

	"github.com/plexauth/plexauth/internal/api"
	"github.com/plexauth/plexauth/internal/endpoint"
	"github.com/plexauth/plexauth/internal/secret"
)

// CallerName is the one caller of the in-memory secret.
const CallerName = "local"

// memorySecrets is the in-memory secret: nothing newer can be fetched, so
// Refresh returns the same value and a rejected admin token stays rejected.
type memorySecrets struct{ v secret.Value }

var _ api.Secrets = memorySecrets{}

func (m memorySecrets) Get(context.Context) (secret.Value, bool, error) { return m.v, true, nil }

func (m memorySecrets) Refresh(context.Context, secret.Value) (secret.Value, error) { return m.v, nil }

// newMemorySecrets goes through secret.Parse with the JSON a real secret
// holds, so the value is checked exactly as a fetched one would be.
func newMemorySecrets(adminToken, key string) (memorySecrets, error) {
	raw := secret.Encode(secret.Value{PlexToken: adminToken,
		Callers: map[string]secret.Caller{CallerName: {Hash: sha256.Sum256([]byte(key))}}})
	v, err := secret.Parse(raw, endpoint.Scopes())
	return memorySecrets{v}, err
}

// newKey is a fresh caller key: 128 random bits as 26 base32 characters,
// safe to paste into a shell.
func newKey() string { return rand.Text() }
