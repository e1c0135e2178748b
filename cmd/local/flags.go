package main

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"flag"
	"io"
	"os"
	"time"

	"github.com/plexauth/plexauth/internal/config"
	"github.com/plexauth/plexauth/pkg/plex"
)

// EnvAdminToken holds the admin token of the in-memory secret when Plex is
// real. An environment variable rather than a flag keeps it out of ps.
const EnvAdminToken = "PLEX_ADMIN_TOKEN"

// options are the command line, with the Lambda settings' environment
// variables as fallbacks so one shell setup serves both.
type options struct {
	addr       string
	serverURL  string // empty: the simulator, unless plexTVURL is set
	plexTVURL  string
	secretID   string // empty: the in-memory secret
	clientID   string
	key        string // caller key of the in-memory secret; empty: a fresh one
	adminToken string // admin token of the in-memory secret with a real Plex
	timeout    time.Duration
}

// simulated reports whether both Plex sides go to the embedded simulator.
func (o options) simulated() bool { return o.serverURL == "" && o.plexTVURL == "" }

func parseFlags(args []string, getenv func(string) string, errOut io.Writer) (options, error) {
	var o options
	fs := flag.NewFlagSet("local", flag.ContinueOnError)
	fs.SetOutput(errOut)
	fs.StringVar(&o.addr, "addr", "127.0.0.1:3000", "address to listen on (port 0 picks a free one); beyond loopback (0.0.0.0, for a Docker container) anyone on the network reaches it over plain http")
	fs.StringVar(&o.serverURL, "plex-server-url", getenv(config.EnvServerURL),
		"real Plex Media Server URL (env "+config.EnvServerURL+"); with neither Plex URL, the embedded simulator serves both")
	fs.StringVar(&o.plexTVURL, "plex-tv-url", getenv(config.EnvPlexTVURL),
		"plex.tv URL (env "+config.EnvPlexTVURL+"); default "+plex.DefaultPlexTVURL+" once -plex-server-url is set")
	fs.StringVar(&o.secretID, "secret-arn", getenv(config.EnvSecretARN),
		"Secrets Manager secret ARN or name (env "+config.EnvSecretARN+"); read with the AWS SDK defaults, so AWS_REGION and AWS_ENDPOINT_URL_SECRETS_MANAGER apply; default an in-memory secret")
	fs.StringVar(&o.clientID, "client-identifier", orDefault(getenv(config.EnvClientIdentifier), defaultClientID()),
		"X-Plex-Client-Identifier (env "+config.EnvClientIdentifier+")")
	fs.StringVar(&o.key, "key", "", `key of the in-memory secret's caller "local" (default a new random key each start)`)
	fs.DurationVar(&o.timeout, "timeout", 10*time.Second, "time each request gets, like the functions' Lambda timeout")
	if err := fs.Parse(args); err != nil {
		return options{}, err
	}
	o.adminToken = getenv(EnvAdminToken)
	switch {
	case fs.NArg() > 0:
		return options{}, errors.New("unexpected arguments; see -h")
	case o.timeout <= 0:
		return options{}, errors.New("-timeout must be positive")
	case o.secretID != "" && o.key != "":
		return options{}, errors.New("-key sets the in-memory secret's caller key; with -secret-arn the callers come from that secret")
	case o.secretID == "" && !o.simulated() && o.adminToken == "":
		return options{}, errors.New("with a real Plex, give -secret-arn or set " + EnvAdminToken + " for the in-memory secret")
	}
	return o, nil
}

// defaultClientID is stable per machine, so a real Plex sees one device
// across restarts rather than a new one each time.
func defaultClientID() string {
	host, _ := os.Hostname()
	sum := sha256.Sum256([]byte(host))
	return "plexauth-local-" + hex.EncodeToString(sum[:6])
}

func orDefault(v, def string) string {
	if v == "" {
		return def
	}
	return v
}
