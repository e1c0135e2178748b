package lambdamain

import (
	"context"
	"io"
	"log/slog"

	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/plexauth/plexauth/internal/config"
	"github.com/plexauth/plexauth/internal/endpoint"
	"github.com/plexauth/plexauth/internal/secret"
	"github.com/plexauth/plexauth/pkg/plex"
)

// The builders below are shared by Setup and cmd/local, so the local server
// runs with exactly the client, store and log format the functions use.

// NewLogger is the JSON logger every function writes its lines with.
func NewLogger(w io.Writer, level slog.Level) *slog.Logger {
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: level}))
}

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
	return secret.NewStore(secretsmanager.NewFromConfig(awsCfg), cfg.SecretID,
		secret.Options{TTL: cfg.SecretTTL, Logger: logger, Routes: endpoint.Scopes()}), nil
}
