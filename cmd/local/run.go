package main

import (
	"context"
	"errors"
	"io"
	"log"
	"log/slog"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/plexauth/plexauth/internal/api"
	"github.com/plexauth/plexauth/internal/config"
	"github.com/plexauth/plexauth/internal/endpoint"
	"github.com/plexauth/plexauth/internal/keepalive"
	"github.com/plexauth/plexauth/internal/lambdamain"
	"github.com/plexauth/plexauth/pkg/plex/plextest"
)

// shutdownTimeout bounds the wait for requests in flight after Ctrl-C.
const shutdownTimeout = 5 * time.Second

// run serves until ctx ends, then shuts down gracefully and returns nil.
// The start-up text goes to stdout; logs, flag errors and usage to stderr.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	o, err := parseFlags(args, os.Getenv, stderr)
	if err != nil {
		return err
	}
	var sim *simulator
	if o.simulated() {
		if sim, err = startSimulator(); err != nil {
			return err
		}
		defer sim.close()
		o.serverURL, o.plexTVURL = sim.url, sim.url
	}
	cfg, err := loadConfig(o, os.Getenv)
	if err != nil {
		return err
	}
	logger := api.NewLogger(stderr, os.Getenv)
	client, err := lambdamain.NewClient(cfg)
	if err != nil {
		return err
	}
	secrets, key, err := newSecrets(ctx, o, sim != nil, cfg, logger)
	if err != nil {
		return err
	}
	deps := endpoint.Deps{Shared: api.Shared{Secrets: secrets, Logger: logger, Namespace: cfg.MetricsNamespace}, Plex: client, Config: cfg}
	handlers := make([]*api.Handler, len(endpoint.All))
	for i, r := range endpoint.All {
		handlers[i] = r.Handler(deps)
	}

	// One keep-alive run, as the schedule would make it: its EMF line goes
	// with the logs, its outcome into the banner.
	ka := keepalive.KeepAlive.Runner(keepalive.Deps{Plex: client, Secrets: secrets, Logger: logger, Out: stderr,
		Namespace: cfg.MetricsNamespace, Warning: cfg.TokenExpiryWarning}).Run(ctx)

	ln, err := net.Listen("tcp", o.addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: newGateway(handlers, o.timeout, logger), ReadHeaderTimeout: 10 * time.Second}
	printBanner(stdout, banner{url: "http://" + ln.Addr().String(), key: key, sim: sim, o: o, keepAlive: ka})
	return serve(ctx, srv, ln)
}

// serve runs srv until ctx ends, then lets requests in flight finish.
func serve(ctx context.Context, srv *http.Server, ln net.Listener) error {
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	select {
	case err := <-served:
		return err
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(shutdown); err != nil {
		srv.Close() // a request outlived the grace period: stop anyway
	}
	if err := <-served; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// loadConfig reads the settings as the functions do, with the flags in
// front of the environment, so every setting is checked the same way.
func loadConfig(o options, getenv func(string) string) (config.Config, error) {
	return config.Load(func(name string) string {
		switch name {
		case config.EnvServerURL:
			return o.serverURL
		case config.EnvPlexTVURL:
			return o.plexTVURL
		case config.EnvClientIdentifier:
			return o.clientID
		case config.EnvSecretARN:
			if o.secretID == "" {
				return "in-memory" // Load requires an id; the in-memory secret ignores it
			}
			return o.secretID
		}
		return getenv(name)
	}, config.Needs{})
}

// newSecrets returns the real store for -secret-arn, else the in-memory
// secret and its caller key.
func newSecrets(ctx context.Context, o options, simulated bool, cfg config.Config, logger *slog.Logger) (api.Secrets, string, error) {
	if o.secretID != "" {
		store, err := lambdamain.NewStore(ctx, cfg, logger)
		if err != nil {
			return nil, "", err
		}
		store.Prefetch() // never blocks
		return store, "", nil
	}
	key := o.key
	if key == "" {
		key = newKey()
	}
	admin := o.adminToken
	if simulated {
		admin = plextest.AdminToken
	}
	s, err := newMemorySecrets(admin, key)
	return s, key, err
}

// simulator is the embedded Plex simulator on its own 127.0.0.1 port;
// plextest.NewServer would do, but it is built for tests.
type simulator struct {
	srv *http.Server
	url string
}

func startSimulator() (*simulator, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	// Its complaints about dropped connections are noise here.
	srv := &http.Server{Handler: plextest.New(), ReadHeaderTimeout: 10 * time.Second, ErrorLog: log.New(io.Discard, "", 0)}
	go srv.Serve(ln)
	return &simulator{srv: srv, url: "http://" + ln.Addr().String()}, nil
}

// close runs after the gateway has shut down, so nothing is in flight.
func (s *simulator) close() { s.srv.Close() }
