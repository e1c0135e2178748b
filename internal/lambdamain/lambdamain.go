// Package lambdamain is the shared main of the Lambda functions. It reads
// the configuration, builds the Plex client, the AWS SDK configuration, the
// Secrets Manager client and the secret store once per cold start, starts
// warming them in the background and hands the route's handler to the
// Lambda runtime. A function's main.go is one call to Start with its route.
package lambdamain

import (
	"context"
	"crypto/x509"
	"errors"
	"io"
	"log/slog"
	"os"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/plexauth/plexauth/internal/api"
	"github.com/plexauth/plexauth/internal/config"
	"github.com/plexauth/plexauth/internal/endpoint"
	"github.com/plexauth/plexauth/internal/keepalive"
	"github.com/plexauth/plexauth/internal/secret"
	"github.com/plexauth/plexauth/pkg/plex"
)

// warmTimeout bounds the background warm-up.
const warmTimeout = 5 * time.Second

// initWait bounds how long Start's init waits for the warm-up (the secret's
// fetch budget): Lambda's init phase has the full CPU, the invocations only
// the memory size's share, so the TLS handshakes and the certificate pool
// are cheapest done before init ends. A warm-up still under way by then
// goes on in the background, and the first request joins it.
const initWait = 2 * time.Second

// Env is where Setup reads its settings and writes its logs.
type Env struct {
	Getenv func(string) string // os.Getenv
	// Log receives the JSON lines of NewLogger. Nil (Start) is Lambda's own
	// way: lambdacontext's handler on stdout, in the format and at the level
	// Lambda sets (AWS_LAMBDA_LOG_FORMAT, AWS_LAMBDA_LOG_LEVEL).
	Log io.Writer
}

// Option changes how Start wires a function. None is production.
type Option func(*options)

type options struct {
	noOverlap, background bool
}

// NoOverlap skips the init-time secret prefetch and Plex warm-up, so the
// first request fetches the secret, then connects, then calls: the naive
// cold path the benchmarks compare against. Only benchmark mains set it.
func NoOverlap() Option { return func(o *options) { o.noOverlap = true } }

// WarmInBackground ends init as soon as the warm-up has started instead of
// waiting for it: the design Start replaced, which the benchmarks measure.
func WarmInBackground() Option { return func(o *options) { o.background = true } }

// Start sets the function of route up and starts the Lambda runtime loop;
// it never returns. A setup problem is logged as one JSON line naming the
// setting and ends the process with status 1, so Lambda reports a failed init.
func Start(route endpoint.Route, opts ...Option) {
	o := collect(opts)
	h, warmed, err := setup(context.Background(), Env{Getenv: os.Getenv}, route, o)
	run(err, warmed, o, func() { lambda.Start(h.Handle) })
}

// StartScheduled is Start for a function run on a schedule (EventBridge)
// rather than behind the API: the same settings, client and store, with the
// job's runner as the handler.
func StartScheduled(job keepalive.Job, opts ...Option) {
	o := collect(opts)
	r, warmed, err := setupScheduled(context.Background(), Env{Getenv: os.Getenv}, job, o)
	run(err, warmed, o, func() { lambda.Start(r.Handle) })
}

// run ends init: a setup error is one log line and exit status 1; otherwise
// it waits for the warm-up (unless WarmInBackground), then starts the runtime.
func run(err error, warmed func(time.Duration), o options, start func()) {
	if err != nil {
		logInitFailure(os.Stdout, err)
		os.Exit(1)
	}
	if !o.background {
		warmed(initWait)
	}
	start()
}

func collect(opts []Option) options {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	return o
}

// Setup builds route's handler with its dependencies and, unless NoOverlap,
// starts the background warm-up of the secret and of the route's Plex host.
// It does not wait for the warm-up; Start does, within its init.
func Setup(ctx context.Context, env Env, route endpoint.Route, opts ...Option) (*api.Handler, error) {
	h, _, err := setup(ctx, env, route, collect(opts))
	return h, err
}

// setup is Setup; warmed waits, at most d, for the warm-up it started
// (at once with NoOverlap).
func setup(ctx context.Context, env Env, route endpoint.Route, o options) (*api.Handler, func(time.Duration), error) {
	b, err := build(ctx, env, config.Needs{ServerURL: route.Host == plex.ServerHost}, route.Host, o)
	if err != nil {
		return nil, nil, err
	}
	return route.Handler(endpoint.Deps{Shared: api.Shared{Secrets: b.store, Logger: b.logger, Namespace: b.cfg.MetricsNamespace}, Plex: b.client, Config: b.cfg}), b.warmed, nil
}

// SetupScheduled builds job's runner; it needs the server URL (the job asks
// the server who it is) and warms plex.tv, which it calls first.
func SetupScheduled(ctx context.Context, env Env, job keepalive.Job, opts ...Option) (*keepalive.Runner, error) {
	r, _, err := setupScheduled(ctx, env, job, collect(opts))
	return r, err
}

func setupScheduled(ctx context.Context, env Env, job keepalive.Job, o options) (*keepalive.Runner, func(time.Duration), error) {
	b, err := build(ctx, env, config.Needs{ServerURL: true}, plex.PlexTVHost, o)
	if err != nil {
		return nil, nil, err
	}
	out := env.Log
	if out == nil {
		out = os.Stdout // where Lambda's own logger writes, and EMF is read
	}
	return job.Runner(keepalive.Deps{Plex: b.client, Secrets: b.store, Logger: b.logger, Out: out,
		Namespace: b.cfg.MetricsNamespace, Warning: b.cfg.TokenExpiryWarning}), b.warmed, nil
}

// built is what every function shares, built once per cold start.
type built struct {
	cfg    config.Config
	logger *slog.Logger
	client *plex.Client
	store  *secret.Store
	warmed func(d time.Duration) // waits, at most d, for the warm-up build started
}

func build(ctx context.Context, env Env, needs config.Needs, host plex.Host, o options) (built, error) {
	if !o.noOverlap {
		// First, as it is the longest local step of a cold start: see loadRoots.
		go loadRoots()
	}
	b := built{warmed: func(time.Duration) {}}
	var err error
	if b.cfg, err = config.Load(env.Getenv, needs); err != nil {
		return b, err
	}
	b.logger = lambdacontext.NewLogger()
	if env.Log != nil {
		b.logger = api.NewLogger(env.Log, env.Getenv)
	}
	if b.client, err = NewClient(b.cfg); err != nil {
		return b, err
	}
	if b.store, err = NewStore(ctx, b.cfg, b.logger); err != nil {
		return b, err
	}
	// Cold-start overlap: fetch the secret and open the Plex connection
	// while the runtime starts, instead of on the first request.
	if !o.noOverlap {
		b.store.Prefetch() // never blocks
		plexDone := make(chan struct{})
		go func() { defer close(plexDone); warm(b.client, host, b.logger) }()
		b.warmed = func(d time.Duration) {
			ctx, cancel := context.WithTimeout(context.Background(), d)
			defer cancel()
			_, _, _ = b.store.Get(ctx) // joins the prefetch; its failure is logged there
			select {
			case <-plexDone:
			case <-ctx.Done():
			}
		}
	}
	return b, nil
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
	slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{ReplaceAttr: lambdacontext.ReplaceAttr})).Error("init failed", attrs...)
}
