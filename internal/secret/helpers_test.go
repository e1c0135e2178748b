package secret_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/plexauth/plexauth/internal/api/apitest"
	"github.com/plexauth/plexauth/internal/secret"
	"github.com/plexauth/plexauth/internal/secret/secrettest"
)

// Fixture secrets. Every one of them is searched for in the captured logs.
const (
	adminToken = "adm1n-T0KEN-first-4f9a"
	newToken   = "adm1n-T0KEN-rotated-77c1"
	aliceKey   = "alice-KEY-3d1e0c9b"
	bobKey     = "bob-KEY-a81f22e4"
	secretName = "plexauth/admin"
)

var secretStrings = []string{adminToken, newToken, aliceKey, bobKey}

func hashOf(key string) string {
	sum := sha256.Sum256([]byte(key))
	return "sha256:" + hex.EncodeToString(sum[:])
}

// secretJSON is the secret's JSON with callers alice and bob.
func secretJSON(token string) string {
	return apitest.SecretJSONWith(token, apitest.Caller{Name: "alice", Key: aliceKey}, apitest.Caller{Name: "bob", Key: bobKey})
}

// noRetryWait keeps the SDK's retries but not their sleeps, so failure tests
// stay quick while a retried request still counts as one fetch.
var noRetryWait = config.WithRetryer(func() aws.Retryer {
	return retry.NewStandard(func(o *retry.StandardOptions) {
		o.Backoff = retry.BackoffDelayerFunc(func(int, error) (time.Duration, error) { return 0, nil })
	})
})

// fixture is a Store reading secretName from the in-process stand-in through
// the real SDK client. Built in a synctest bubble, its TTL, Grace and Backoff
// run on the bubble's clock: time.Sleep moves them on.
type fixture struct {
	sm    *secrettest.Server
	api   *countingAPI // the Store's client: its calls are the Store's fetches
	store *secret.Store
	arn   string
}

func newFixture(t *testing.T, value string, o secret.Options) *fixture {
	t.Helper()
	f := &fixture{sm: secrettest.NewInProcess(t)}
	f.arn = f.sm.Put(secretName, value)
	if o.Logger == nil {
		o.Logger = testLogger(t)
	}
	f.api = counted(f.sm.Client(t, noRetryWait))
	f.store = secret.NewStore(f.api, f.arn, o)
	return f
}

func (f *fixture) mustGet(t *testing.T) (secret.Value, bool) {
	t.Helper()
	v, hit, err := f.store.Get(t.Context())
	if err != nil {
		t.Fatalf("Get: %v", err)
	}
	return v, hit
}

// testLogger shows the Store's log lines with the test's output (-v or failure).
func testLogger(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// countingAPI counts the GetSecretValue calls a Store makes: one per fetch,
// however many attempts the SDK's retries make inside it.
type countingAPI struct {
	secret.API
	n atomic.Int64
}

func counted(api secret.API) *countingAPI { return &countingAPI{API: api} }

func (c *countingAPI) GetSecretValue(ctx context.Context, in *secretsmanager.GetSecretValueInput, optFns ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error) {
	c.n.Add(1)
	return c.API.GetSecretValue(ctx, in, optFns...)
}

func wantFetches(t testing.TB, c *countingAPI, want int64) {
	t.Helper()
	if got := c.n.Load(); got != want {
		t.Fatalf("fetches = %d, want %d", got, want)
	}
}

// heldAPI answers each GetSecretValue with the next result sent on answers,
// in process: inside a synctest bubble a call waiting for its answer is
// durably blocked, so synctest.Wait tells when every caller is waiting.
type heldAPI struct {
	answers chan heldAnswer
	calls   atomic.Int64
}

type heldAnswer struct {
	value string
	err   error
}

func newHeldAPI() *heldAPI { return &heldAPI{answers: make(chan heldAnswer)} }

func (h *heldAPI) GetSecretValue(ctx context.Context, _ *secretsmanager.GetSecretValueInput, _ ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error) {
	h.calls.Add(1)
	select {
	case a := <-h.answers:
		if a.err != nil {
			return nil, a.err
		}
		return &secretsmanager.GetSecretValueOutput{SecretString: aws.String(a.value)}, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}
