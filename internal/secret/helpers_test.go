package secret_test

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/config"

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
	b, _ := json.Marshal(map[string]any{
		"plexToken": token,
		"callers":   map[string]string{"alice": hashOf(aliceKey), "bob": hashOf(bobKey)},
	})
	return string(b)
}

// clock is a settable time source for TTL, Grace and Backoff.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// noRetryWait keeps the SDK's retries but not their sleeps, so failure tests
// stay quick while a retried request still counts as one fetch.
var noRetryWait = config.WithRetryer(func() aws.Retryer {
	return retry.NewStandard(func(o *retry.StandardOptions) {
		o.Backoff = retry.BackoffDelayerFunc(func(int, error) (time.Duration, error) { return 0, nil })
	})
})

// fixture is a Store reading secretName from a secrettest server through the
// real SDK client.
type fixture struct {
	sm    *secrettest.Server
	clock *clock
	store *secret.Store
	arn   string
}

func newFixture(t *testing.T, value string, o secret.Options) *fixture {
	t.Helper()
	f := &fixture{sm: secrettest.NewServer(t), clock: newClock()}
	f.arn = f.sm.Put(secretName, value)
	if o.Now == nil {
		o.Now = f.clock.Now
	}
	if o.Logger == nil {
		o.Logger = testLogger(t)
	}
	f.store = secret.NewStore(f.sm.Client(t, noRetryWait), f.arn, o)
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

func wantFetches(t *testing.T, s *secret.Store, want int64) {
	t.Helper()
	if got := s.Fetches(); got != want {
		t.Fatalf("Fetches() = %d, want %d", got, want)
	}
}
