package config

import (
	"strconv"
	"strings"
	"time"
)

// The keep-alive's settings. Every function reads them, like every other
// setting; the namespace is also meant for other functions' metrics.
const (
	EnvMetricsNamespace   = "METRICS_NAMESPACE"
	EnvTokenExpiryWarning = "TOKEN_EXPIRY_WARNING_HOURS"
)

const (
	DefaultMetricsNamespace = "plexauth"
	// A day: a JWT lives 7 days, and nothing here can renew one, so a
	// person needs time to sign in again before automations stop.
	DefaultTokenExpiryWarning = 24 * time.Hour
)

// loadKeepAlive reads the namespace (1-255 printable characters without
// a colon, as CloudWatch takes it) and the warning, whole hours from 1.
func loadKeepAlive(get func(string) string, c *Config) error {
	c.MetricsNamespace = orDefault(get(EnvMetricsNamespace), DefaultMetricsNamespace)
	if len(c.MetricsNamespace) > 255 || strings.ContainsAny(c.MetricsNamespace, ":") ||
		strings.ContainsFunc(c.MetricsNamespace, func(r rune) bool { return r < 0x20 || r > 0x7e }) {
		return &Error{Setting: EnvMetricsNamespace, Problem: "must be at most 255 printable ASCII characters without ':'"}
	}
	c.TokenExpiryWarning = DefaultTokenExpiryWarning
	if v := get(EnvTokenExpiryWarning); v != "" {
		h, err := strconv.Atoi(v)
		if err != nil || h < 1 || h > 24*365 {
			return &Error{Setting: EnvTokenExpiryWarning, Problem: "must be a whole number of hours from 1 to 8760"}
		}
		c.TokenExpiryWarning = time.Duration(h) * time.Hour
	}
	return nil
}
