// Package apitest helps test handlers built on internal/api: it builds API
// Gateway HTTP API (payload 2.0) events as JSON, invokes a handler through
// the Lambda runtime's own decoding, checks what every response must carry,
// and provides an in-memory secret store and a log buffer.
package apitest

import (
	"context"
	"crypto/sha256"
	"errors"
	"sync"
	"time"

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

// Caller is a caller to put in a test secret.
type Caller struct {
	Name, Key string
	Routes    []string  // scope names ("transient-token"); nil: every route
	Expires   time.Time // zero: never
}

// Tester is the test caller, on every route without expiry.
var Tester = Caller{Name: CallerName, Key: CallerKey}

// On returns c limited to routes.
func (c Caller) On(routes ...string) Caller { c.Routes = routes; return c }

// Until returns c with its key expiring at t.
func (c Caller) Until(t time.Time) Caller { c.Expires = t; return c }

// Value returns a secret holding plexToken and the test caller.
func Value(plexToken string) secret.Value { return ValueWith(plexToken, Tester) }

// ValueWith returns a secret holding plexToken and callers.
func ValueWith(plexToken string, callers ...Caller) secret.Value {
	v := secret.Value{PlexToken: plexToken, Callers: make(map[string]secret.Caller, len(callers))}
	for _, c := range callers {
		v.Callers[c.Name] = secret.Caller{Hash: sha256.Sum256([]byte(c.Key)), Routes: c.Routes, Expires: c.Expires}
	}
	return v
}

// SecretJSON is Value(adminToken) as it is stored in Secrets Manager.
func SecretJSON(adminToken string) string { return SecretJSONWith(adminToken, Tester) }

// SecretJSONWith is ValueWith as it is stored in Secrets Manager: a caller
// on every route without expiry in the string form, any other as an object.
func SecretJSONWith(adminToken string, callers ...Caller) string {
	return secret.Encode(ValueWith(adminToken, callers...))
}

// KeyValue is a secret holding plexToken and the test caller with its own
// key.
func KeyValue(plexToken, key string) secret.Value {
	return ValueWith(plexToken, Caller{Name: CallerName, Key: key})
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
