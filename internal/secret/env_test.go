package secret_test

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/plexauth/plexauth/internal/secret"
	"github.com/plexauth/plexauth/internal/secret/secrettest"
)

// envClient builds the client the way the functions do: from the
// environment alone (AWS_ENDPOINT_URL_SECRETS_MANAGER and friends).
func envClient(t *testing.T, opts ...func(*config.LoadOptions) error) *secretsmanager.Client {
	t.Helper()
	cfg, err := config.LoadDefaultConfig(t.Context(), opts...)
	if err != nil {
		t.Fatalf("LoadDefaultConfig: %v", err)
	}
	return secretsmanager.NewFromConfig(cfg)
}

// The functions find a local Secrets Manager through
// AWS_ENDPOINT_URL_SECRETS_MANAGER; the SDK must honour it.
func TestEnvironmentEndpoint(t *testing.T) {
	tests := []struct {
		name  string
		value string
		want  string
	}{
		{"json secret", secretJSON(adminToken), adminToken},
		{"plain secret", newToken, newToken},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sm := secrettest.NewServer(t)
			arn := sm.Put(secretName, tt.value)
			secrettest.SetEnv(t, sm.URL)
			api := counted(envClient(t))
			store := secret.NewStore(api, arn, secret.Options{Logger: testLogger(t)})
			for range 10 {
				v, _, err := store.Get(t.Context())
				if err != nil || v.PlexToken != tt.want {
					t.Fatalf("Get = (%q, %v), want %q", v.PlexToken, err, tt.want)
				}
			}
			wantFetches(t, api, 1)
			if got := sm.Calls(); got != 1 {
				t.Errorf("server calls = %d, want 1 (did the SDK use the endpoint from the environment?)", got)
			}
		})
	}
}
