// Package apitest helps test handlers built on internal/api: it builds API
// Gateway HTTP API (payload 2.0) events as JSON, invokes a handler through
// the Lambda runtime's own decoding, checks what every response must carry,
// and provides an in-memory secret store and a log buffer.
package apitest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"sync"

	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/plexauth/plexauth/internal/secret"
	"github.com/plexauth/plexauth/pkg/plex/plextest"
)

// The test caller and admin token. They are fake values; the admin token is
// the simulator's, so the default store works against plextest.
const (
	CallerName = "tester"
	CallerKey  = "test-caller-key-0001"
	AdminToken = plextest.AdminToken
)

// Value returns a secret holding plexToken and the test caller.
func Value(plexToken string) secret.Value {
	return secret.Value{
		PlexToken: plexToken,
		Callers:   map[string][32]byte{CallerName: sha256.Sum256([]byte(CallerKey))},
	}
}

// SecretJSON is Value(adminToken) as it is stored in Secrets Manager.
func SecretJSON(adminToken string) string { return secretJSON(adminToken, CallerKey) }

func secretJSON(adminToken, key string) string {
	sum := sha256.Sum256([]byte(key))
	b, _ := json.Marshal(map[string]any{
		"plexToken": adminToken,
		"callers":   map[string]string{CallerName: "sha256:" + hex.EncodeToString(sum[:])},
	})
	return string(b)
}

// KeyValue is a secret holding plexToken and the test caller with its own
// key, read as the store reads it; it panics on a token Parse refuses.
func KeyValue(plexToken, key string) secret.Value {
	v, err := secret.Parse(secretJSON(plexToken, key))
	if err != nil {
		panic(err)
	}
	return v
}

// Secrets is an in-memory api.Secrets. Get returns the current value;
// Refresh moves to the next one, as if the secret had been rotated.
type Secrets struct {
	mu        sync.Mutex
	values    []secret.Value
	err       error
	refreshes int
}

// NewSecrets returns a store serving values in order, one per Refresh. With
// no values it serves Value(AdminToken).
func NewSecrets(values ...secret.Value) *Secrets {
	if len(values) == 0 {
		values = []secret.Value{Value(AdminToken)}
	}
	return &Secrets{values: values}
}

// FailingSecrets returns a store whose Get and Refresh fail with err.
func FailingSecrets(err error) *Secrets { return &Secrets{err: err} }

// Get implements api.Secrets; hit is always true.
func (s *Secrets) Get(context.Context) (secret.Value, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err != nil {
		return secret.Value{}, false, s.err
	}
	return s.values[0], true, nil
}

// Refresh implements api.Secrets: it advances to the next value, or returns
// the last one again when there is none.
func (s *Secrets) Refresh(context.Context, secret.Value) (secret.Value, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.refreshes++
	if s.err != nil {
		return secret.Value{}, s.err
	}
	if len(s.values) > 1 {
		s.values = s.values[1:]
	}
	return s.values[0], nil
}

// Refreshes reports how many times Refresh was called.
func (s *Secrets) Refreshes() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.refreshes
}

// Tokens lists every admin token the store holds, for log checks.
func (s *Secrets) Tokens() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for _, v := range s.values {
		out = append(out, v.PlexToken)
	}
	return out
}

// ErrSecretsDown wraps secret.ErrUnavailable as a failed fetch would.
var ErrSecretsDown = errors.Join(secret.ErrUnavailable, errors.New("fetch failed"))

// LambdaContext returns ctx carrying a Lambda request id, as the runtime does.
func LambdaContext(ctx context.Context, requestID string) context.Context {
	return lambdacontext.NewContext(ctx, &lambdacontext.LambdaContext{AwsRequestID: requestID})
}
