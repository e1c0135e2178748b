// Package config reads a function's settings from environment variables.
// Every problem is reported as an *Error naming the setting, so a function
// that cannot start says exactly what to fix.
package config

import (
	"net"
	"strings"
	"time"

	"github.com/plexauth/plexauth/internal/signinguard"
	"github.com/plexauth/plexauth/pkg/plex"
)

// Names of the environment variables.
const (
	EnvServerURL        = "PLEX_SERVER_URL"
	EnvPlexTVURL        = "PLEX_TV_URL"
	EnvSecretARN        = "PLEX_SECRET_ARN"
	EnvClientIdentifier = "PLEX_CLIENT_IDENTIFIER"
	EnvProduct          = "PLEX_PRODUCT"
	EnvVersion          = "PLEX_VERSION"
	EnvSecretTTL        = "SECRET_TTL"
	EnvSecretGrace      = "SECRET_GRACE"
	EnvAllowHTTP        = "PLEX_ALLOW_HTTP"
)

// Defaults for the optional settings; the Plex ones (URL, product, version)
// are pkg/plex's.
const (
	DefaultSecretTTL = 5 * time.Minute
	// DefaultSecretGrace lets a Secrets Manager outage of a few minutes
	// (throttling, a network path, a short regional event) pass without
	// taking the API down, while a value is never used more than TTL + grace
	// (10 minutes by default) after it was fetched: a revocation holds within
	// that bound whatever Secrets Manager does.
	DefaultSecretGrace = 5 * time.Minute
)

// Config is a function's configuration.
type Config struct {
	ServerURL        string // Plex Media Server base URL; empty when not needed
	PlexTVURL        string
	SecretID         string // ARN or name of the Secrets Manager secret
	ClientIdentifier string
	Product          string
	Version          string
	SecretTTL        time.Duration
	SecretGrace      time.Duration      // past SecretTTL, while Secrets Manager cannot be reached; 0: none
	AllowHTTP        bool               // plain http Plex URLs to hosts other than loopback ones
	SignIn           signinguard.Limits // the sign-in function's guard

	MetricsNamespace   string        // CloudWatch namespace of the EMF metrics
	TokenExpiryWarning time.Duration // the keep-alive warns when a JWT admin token has less left
}

// Needs lists the settings that only some functions require.
type Needs struct {
	ServerURL bool // the function talks to the Plex Media Server
}

// Error is a missing or malformed setting. Its text names the setting but
// never repeats the value, which may hold something private.
type Error struct {
	Setting string
	Problem string
}

func (e *Error) Error() string { return e.Setting + ": " + e.Problem }

// Load reads the configuration through getenv (os.Getenv in production).
func Load(getenv func(string) string, needs Needs) (Config, error) {
	get := func(name string) string { return strings.TrimSpace(getenv(name)) }
	c := Config{
		ServerURL:        get(EnvServerURL),
		PlexTVURL:        orDefault(get(EnvPlexTVURL), plex.DefaultPlexTVURL),
		SecretID:         get(EnvSecretARN),
		ClientIdentifier: get(EnvClientIdentifier),
		Product:          orDefault(get(EnvProduct), plex.DefaultProduct),
		Version:          orDefault(get(EnvVersion), plex.DefaultVersion),
	}
	switch {
	case c.SecretID == "":
		return Config{}, missing(EnvSecretARN)
	case c.ClientIdentifier == "":
		return Config{}, missing(EnvClientIdentifier)
	case needs.ServerURL && c.ServerURL == "":
		return Config{}, missing(EnvServerURL)
	}
	// These travel as X-Plex-* headers on every Plex request.
	for _, h := range []struct{ name, value string }{
		{EnvClientIdentifier, c.ClientIdentifier}, {EnvProduct, c.Product}, {EnvVersion, c.Version},
	} {
		if !plex.ValidHeaderValue(h.value) {
			return Config{}, &Error{Setting: h.name, Problem: "must be printable text without control characters"}
		}
	}
	var err error
	if c.AllowHTTP, err = parseAllowHTTP(get(EnvAllowHTTP)); err != nil {
		return Config{}, err
	}
	// A set but malformed server URL is an error even where it is not
	// needed: the template shares settings, so it is a mistake worth seeing.
	if c.ServerURL != "" {
		if err := checkURL(EnvServerURL, c.ServerURL, c.AllowHTTP); err != nil {
			return Config{}, err
		}
		c.ServerURL = strings.TrimRight(c.ServerURL, "/")
	}
	if err := checkURL(EnvPlexTVURL, c.PlexTVURL, c.AllowHTTP); err != nil {
		return Config{}, err
	}
	c.PlexTVURL = strings.TrimRight(c.PlexTVURL, "/")

	if c.SecretTTL, err = duration(get, EnvSecretTTL, DefaultSecretTTL, false, "must be a positive Go duration such as 5m"); err != nil {
		return Config{}, err
	}
	if c.SecretGrace, err = duration(get, EnvSecretGrace, DefaultSecretGrace, true, "must be a Go duration such as 5m, or 0 for none"); err != nil {
		return Config{}, err
	}
	if c.SignIn, err = loadSignIn(get); err != nil {
		return Config{}, err
	}
	if err := loadKeepAlive(get, &c); err != nil {
		return Config{}, err
	}
	return c, nil
}

func orDefault(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

func missing(name string) error { return &Error{Setting: name, Problem: "is required"} }

// checkURL accepts what plex.ParseBaseURL does, with one rule of its own, the
// https rule: the admin token (and passwords, and callers' tokens) must not
// cross the network in clear, so plain http is for a loopback host only,
// unless allowHTTP says the deployer chose it (a LAN server, a test double).
func checkURL(name, raw string, allowHTTP bool) error {
	u, err := plex.ParseBaseURL(raw)
	switch {
	case err != nil:
		return &Error{Setting: name, Problem: err.Error()}
	case u.Scheme == "http" && !allowHTTP && !Loopback(u.Hostname()):
		return &Error{Setting: name, Problem: "must be an https URL: plain http sends the Plex token in clear, " +
			"so it is allowed only for a loopback host or with " + EnvAllowHTTP + "=true"}
	}
	return nil
}

// Loopback reports whether host never leaves this machine: localhost,
// 127.0.0.0/8 or ::1.
func Loopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// parseAllowHTTP takes the template's AllowInsecurePlexUrls values.
func parseAllowHTTP(raw string) (bool, error) {
	switch strings.ToLower(raw) {
	case "", "false":
		return false, nil
	case "true":
		return true, nil
	}
	return false, &Error{Setting: EnvAllowHTTP, Problem: "must be true or false"}
}

// duration reads the setting name as a Go duration, def when unset. Zero is
// accepted only where it means "off" (zeroOK); problem is the error's text.
func duration(get func(string) string, name string, def time.Duration, zeroOK bool, problem string) (time.Duration, error) {
	raw := get(name)
	if raw == "" {
		return def, nil
	}
	d, err := time.ParseDuration(raw)
	if err != nil || d < 0 || (d == 0 && !zeroOK) {
		return 0, &Error{Setting: name, Problem: problem}
	}
	return d, nil
}
