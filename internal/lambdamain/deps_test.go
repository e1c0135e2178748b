package lambdamain

import (
	"context"
	"errors"
	"log/slog"
	"testing"
	"time"

	awsconfig "github.com/aws/aws-sdk-go-v2/config"

	"github.com/plexauth/plexauth/internal/api/apitest"
	"github.com/plexauth/plexauth/internal/config"
	"github.com/plexauth/plexauth/internal/endpoint"
	"github.com/plexauth/plexauth/internal/secret"
	"github.com/plexauth/plexauth/internal/secret/secrettest"
	"github.com/plexauth/plexauth/pkg/plex"
	"github.com/plexauth/plexauth/pkg/plex/plextest"
)

// TestNewStore reads a secret through the store NewStore builds from the
// environment, as cmd/local does with -secret-arn.
func TestNewStore(t *testing.T) {
	sm := secrettest.NewServer(t)
	secrettest.SetEnv(t, sm.URL)
	arn := sm.Put("plexauth", apitest.SecretJSON(plextest.AdminToken))
	logger, _ := apitest.NewLogger()

	store, err := NewStore(t.Context(), config.Config{SecretID: arn, SecretTTL: config.DefaultSecretTTL}, logger)
	if err != nil {
		t.Fatal(err)
	}
	v, _, err := store.Get(t.Context())
	if err != nil || v.PlexToken != plextest.AdminToken {
		t.Fatalf("Get = %v; want the stored admin token", err)
	}
}

func TestNewErrors(t *testing.T) {
	secrettest.SetEnv(t, secrettest.ClosedEndpoint(t))
	t.Setenv("AWS_REGION", "")
	t.Setenv("AWS_DEFAULT_REGION", "")
	tests := []struct {
		name    string
		build   func() error
		setting string
	}{
		{"client without identifier", func() error {
			_, err := NewClient(config.Config{PlexTVURL: plex.DefaultPlexTVURL})
			return err
		}, "Plex client settings"},
		{"store without region", func() error {
			_, err := NewStore(t.Context(), config.Config{SecretID: "plexauth"}, slog.New(slog.DiscardHandler))
			return err
		}, "AWS_REGION"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var ce *config.Error
			if err := tt.build(); !errors.As(err, &ce) || ce.Setting != tt.setting {
				t.Fatalf("error = %v, want one naming %s", err, tt.setting)
			}
		})
	}
}

// The store NewStore builds answers a failing Secrets Manager within its
// fetch budget: the SDK tries twice, with at most secretsMaxBackoff between,
// whatever the environment asks for.
func TestNewStoreRetries(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
	}{
		{"defaults", nil},
		{"environment asks for more", map[string]string{"AWS_MAX_ATTEMPTS": "10", "AWS_RETRY_MODE": "adaptive"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sm := secrettest.NewServer(t)
			secrettest.SetEnv(t, sm.URL)
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			arn := sm.Put("plexauth", apitest.SecretJSON(plextest.AdminToken))
			sm.SetFault(secrettest.Fault{}) // 500 InternalServiceError, retryable
			store, err := NewStore(t.Context(), config.Config{SecretID: arn, SecretTTL: config.DefaultSecretTTL}, slog.New(slog.DiscardHandler))
			if err != nil {
				t.Fatal(err)
			}
			if _, _, err := store.Get(t.Context()); !errors.Is(err, secret.ErrUnavailable) {
				t.Fatalf("Get = %v, want ErrUnavailable", err)
			}
			if got := sm.Calls(); got != secretsMaxAttempts {
				t.Errorf("GetSecretValue attempts = %d, want %d", got, secretsMaxAttempts)
			}

			awsCfg, err := awsconfig.LoadDefaultConfig(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			r := newSecretsManager(awsCfg).Options().Retryer
			if got := r.MaxAttempts(); got != secretsMaxAttempts {
				t.Errorf("Retryer.MaxAttempts() = %d, want %d", got, secretsMaxAttempts)
			}
			for attempt := 1; attempt <= 10; attempt++ {
				if d, err := r.RetryDelay(attempt, errors.New("5xx")); err != nil || d > secretsMaxBackoff {
					t.Errorf("RetryDelay(%d) = %v, %v; want at most %v", attempt, d, err, secretsMaxBackoff)
				}
			}
		})
	}
}

// A Secrets Manager that holds every request is answered 503
// secret_unavailable by a function Setup wired, not 504, after the prefetch
// and the request's own fetch shared the request's budget: most of the
// invocation is left.
func TestSetupSecretsManagerHangs(t *testing.T) {
	sm := secrettest.NewServer(t)
	secrettest.SetEnv(t, sm.URL)
	arn := sm.Put("plexauth", apitest.SecretJSON(plextest.AdminToken))
	sm.Hold() // released when the server closes
	sim := plextest.NewServer()
	t.Cleanup(sim.Close)
	h, err := Setup(t.Context(), Env{Log: &apitest.LogBuffer{}, Getenv: simEnv(sim, arn)}, endpoint.Transient)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second) // the template's timeout
	defer cancel()
	r := apitest.Invoke(t, ctx, h, apitest.Event{Method: "POST", Path: "/transient-token"}.Authorized().JSON())
	if r.Status != 503 || r.Error.Code != "secret_unavailable" {
		t.Fatalf("got %d %s, want 503 secret_unavailable", r.Status, r.Body)
	}
	// The budget is 2 s of the 10: half is a bound no loaded machine misses,
	// and one the old wait (until the invocation's margin) never met.
	if dl, _ := ctx.Deadline(); time.Until(dl) < 5*time.Second {
		t.Errorf("answered with %v of the invocation left: the fetch took more than its budget", time.Until(dl).Round(time.Millisecond))
	}
}
