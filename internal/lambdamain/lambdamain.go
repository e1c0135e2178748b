// Package lambdamain is the shared main of the four Lambda functions. It reads
// the configuration, builds the Plex client, the AWS SDK configuration, the
// Secrets Manager client and the secret store once per cold start, starts
// warming them in the background and hands the route's handler to the
// Lambda runtime. A function's main.go is one call to Run.
package lambdamain

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/plexauth/plexauth/internal/api"
	"github.com/plexauth/plexauth/internal/config"
	"github.com/plexauth/plexauth/pkg/plex"
)

// The host a function's Plex call goes to, warmed at init. ServerHost also
// makes PLEX_SERVER_URL required.
const (
	ServerHost = plex.ServerHost
	PlexTVHost = plex.PlexTVHost
)

// warmTimeout bounds the background warm-up; it never delays init.
const warmTimeout = 5 * time.Second

// Env is where Setup reads its settings and writes its logs.
type Env struct {
	Getenv func(string) string // os.Getenv
	Log    io.Writer           // os.Stdout
}

// Run sets the function up and starts the Lambda runtime loop; it never
// returns. P is the handler's small Plex interface, which *plex.Client
// implements. A setup problem is logged as one JSON line naming the setting
// and ends the process with status 1, so Lambda reports a failed init.
func Run[P any](host plex.Host, newHandler func(P) *api.Handler) {
	RunWith(host, newHandler, Options{})
}

// Options change how Setup wires a function. The zero value is production.
type Options struct {
	// NoOverlap skips the init-time secret prefetch and Plex warm-up, so the
	// first request fetches the secret, then connects, then calls: the naive
	// cold path the benchmarks compare against. Only benchmark mains set it.
	NoOverlap bool
}

// RunWith is Run with options.
func RunWith[P any](host plex.Host, newHandler func(P) *api.Handler, o Options) {
	RunWithConfig(host, withoutConfig(newHandler), o)
}

// RunWithConfig is RunWith for a handler that also takes settings from the
// configuration (sign-in builds its guard from them).
func RunWithConfig[P any](host plex.Host, newHandler func(P, config.Config) *api.Handler, o Options) {
	h, err := SetupWithConfig(context.Background(), Env{Getenv: os.Getenv, Log: os.Stdout}, host, newHandler, o)
	if err != nil {
		logInitFailure(os.Stdout, err)
		os.Exit(1)
	}
	lambda.Start(h.Handle)
}

// Setup builds the handler with its dependencies and starts the background
// warm-up of the secret and of the connection to host.
func Setup[P any](ctx context.Context, env Env, host plex.Host, newHandler func(P) *api.Handler) (*api.Handler, error) {
	return SetupWith(ctx, env, host, newHandler, Options{})
}

// SetupWith is Setup with options; they only change what init starts.
func SetupWith[P any](ctx context.Context, env Env, host plex.Host, newHandler func(P) *api.Handler, o Options) (*api.Handler, error) {
	return SetupWithConfig(ctx, env, host, withoutConfig(newHandler), o)
}

// SetupWithConfig is SetupWith for a handler built from the configuration too.
func SetupWithConfig[P any](ctx context.Context, env Env, host plex.Host, newHandler func(P, config.Config) *api.Handler, o Options) (*api.Handler, error) {
	if !o.NoOverlap {
		// First, as it is the longest local step of a cold start: see loadRoots.
		go loadRoots()
	}
	cfg, err := config.Load(env.Getenv, config.Needs{ServerURL: host == plex.ServerHost})
	if err != nil {
		return nil, err
	}
	logger := NewLogger(env.Log, cfg.LogLevel)

	client, err := NewClient(cfg)
	if err != nil {
		return nil, err
	}
	p, ok := any(client).(P)
	if !ok {
		return nil, fmt.Errorf("the handler's Plex interface %T is not implemented by *plex.Client", (*P)(nil))
	}
	store, err := NewStore(ctx, cfg, logger)
	if err != nil {
		return nil, err
	}

	// Cold-start overlap: fetch the secret and open the Plex connection
	// while the runtime starts, instead of on the first request.
	if !o.NoOverlap {
		store.Prefetch() // never blocks
		go warm(client, host, logger)
	}

	h := newHandler(p, cfg)
	h.Secrets, h.Logger = store, logger
	return h, nil
}

func withoutConfig[P any](newHandler func(P) *api.Handler) func(P, config.Config) *api.Handler {
	return func(p P, _ config.Config) *api.Handler { return newHandler(p) }
}

// loadRoots loads the system certificate pool. Go loads it on first use,
// which is in the middle of the first TLS handshake, once the server's
// certificate has arrived: both the Secrets Manager fetch and the Plex
// warm-up then wait for it (tens of ms: every file of the system's
// certificate directories is read and parsed). Loaded in the background at
// process start, it overlaps the TCP and TLS round trips instead.
func loadRoots() { _, _ = x509.SystemCertPool() }

func warm(c *plex.Client, host plex.Host, logger *slog.Logger) {
	ctx, cancel := context.WithTimeout(context.Background(), warmTimeout)
	defer cancel()
	if err := c.Warm(ctx, host); err != nil {
		// The first request will connect anyway; only say that it will pay for it.
		attrs := []any{"host", hostName(host)}
		var pe *plex.Error
		if errors.As(err, &pe) {
			attrs = append(attrs, "plexKind", pe.Kind.Error())
		}
		logger.Debug("plex warm-up failed", attrs...)
	}
}

func hostName(h plex.Host) string {
	if h == plex.ServerHost {
		return "server"
	}
	return "plex.tv"
}

// logInitFailure writes the one line that explains a failed init.
func logInitFailure(w io.Writer, err error) {
	attrs := []any{"error", err.Error()}
	var ce *config.Error
	if errors.As(err, &ce) {
		attrs = append(attrs, "setting", ce.Setting)
	}
	slog.New(slog.NewJSONHandler(w, nil)).Error("init failed", attrs...)
}
