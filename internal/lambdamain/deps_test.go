package lambdamain

import (
	"errors"
	"testing"

	"github.com/plexauth/plexauth/internal/api/apitest"
	"github.com/plexauth/plexauth/internal/config"
	"github.com/plexauth/plexauth/internal/secret/secrettest"
	"github.com/plexauth/plexauth/pkg/plex/plextest"
)

// TestNewStore reads a secret through the store NewStore builds from the
// environment, as cmd/local does with -secret-arn.
func TestNewStore(t *testing.T) {
	sm := secrettest.NewServer(t)
	secrettest.SetEnv(t, sm.URL)
	arn := sm.Put("plexauth", apitest.SecretJSON(plextest.AdminToken))
	logger := NewLogger(&apitest.LogBuffer{}, 0)

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
			_, err := NewClient(config.Config{PlexTVURL: config.DefaultPlexTVURL})
			return err
		}, "Plex client settings"},
		{"store without region", func() error {
			_, err := NewStore(t.Context(), config.Config{SecretID: "plexauth"}, NewLogger(&apitest.LogBuffer{}, 0))
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
