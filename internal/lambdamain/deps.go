package lambdamain

import (
	"context"
	"log/slog"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/plexauth/plexauth/internal/config"
	"github.com/plexauth/plexauth/internal/endpoint"
	"github.com/plexauth/plexauth/internal/secret"
	"github.com/plexauth/plexauth/pkg/plex"
)

// The builders below are shared by Setup and cmd/local, so the local server
// runs with exactly the client, store and log format the functions use.

// NewClient builds the Plex client from cfg.
func NewClient(cfg config.Config) (*plex.Client, error) {
	c, err := plex.New(plex.Config{
		ServerURL:        cfg.ServerURL,
		PlexTVURL:        cfg.PlexTVURL,
		ClientIdentifier: cfg.ClientIdentifier,
		Product:          cfg.Product,
		Version:          cfg.Version,
	})
	if err != nil {
		return nil, &config.Error{Setting: "Plex client settings", Problem: err.Error()}
	}
	return c, nil
}

// The SDK's retries must fit in the store's fetch budget (2 s): one retry
// after a short pause covers a dropped connection or a lone 5xx; the
// defaults (3 attempts, backoff up to 20 s) would spend the budget Plex
// needs, and a container that fails is asked again by its next request anyway.
const (
	secretsMaxAttempts = 2
	secretsMaxBackoff  = 100 * time.Millisecond
)

// NewStore builds the store of cfg's secret on the AWS SDK's default
// configuration, which also honours AWS_ENDPOINT_URL_SECRETS_MANAGER. It
// checks callers' routes against every endpoint's, whichever function it runs in.
func NewStore(ctx context.Context, cfg config.Config, logger *slog.Logger) (*secret.Store, error) {
	awsCfg, err := awsconfig.LoadDefaultConfig(ctx)
	if err != nil {
		return nil, &config.Error{Setting: "AWS SDK configuration", Problem: "cannot be loaded"}
	}
	if awsCfg.Region == "" {
		return nil, &config.Error{Setting: "AWS_REGION", Problem: "is required"}
	}
	return secret.NewStore(newSecretsManager(awsCfg), cfg.SecretID,
		secret.Options{TTL: cfg.SecretTTL, Grace: cfg.SecretGrace, Logger: logger, Routes: endpoint.Scopes()}), nil
}

// newSecretsManager is the Secrets Manager client with retries that fit the
// budget, whatever AWS_MAX_ATTEMPTS or AWS_RETRY_MODE say.
func newSecretsManager(awsCfg aws.Config) *secretsmanager.Client {
	return secretsmanager.NewFromConfig(awsCfg, func(o *secretsmanager.Options) {
		o.Retryer = retry.NewStandard(func(so *retry.StandardOptions) {
			so.MaxAttempts, so.MaxBackoff = secretsMaxAttempts, secretsMaxBackoff
		})
		o.RetryMaxAttempts = secretsMaxAttempts
	})
}
