package config

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/plexauth/plexauth/internal/signinguard"
	"github.com/plexauth/plexauth/pkg/plex"
)

// env returns a getenv over a map that starts from a valid configuration.
func env(over map[string]string) func(string) string {
	m := map[string]string{
		EnvServerURL:        "http://127.0.0.1:32400",
		EnvSecretARN:        "arn:aws:secretsmanager:us-east-1:000000000000:secret:plexauth",
		EnvClientIdentifier: "plexauth-test",
	}
	for k, v := range over {
		m[k] = v
	}
	return func(k string) string { return m[k] }
}

func TestLoadDefaults(t *testing.T) {
	c, err := Load(env(nil), Needs{ServerURL: true})
	if err != nil {
		t.Fatal(err)
	}
	want := Config{
		ServerURL:        "http://127.0.0.1:32400",
		PlexTVURL:        plex.DefaultPlexTVURL,
		SecretID:         "arn:aws:secretsmanager:us-east-1:000000000000:secret:plexauth",
		ClientIdentifier: "plexauth-test",
		Product:          plex.DefaultProduct,
		Version:          plex.DefaultVersion,
		SecretTTL:        DefaultSecretTTL,
		SecretGrace:      DefaultSecretGrace,
		SignIn: signinguard.Limits{LoginCooldown: DefaultSignInLoginCooldown, BlockCooldown: DefaultSignInBlockCooldown,
			CallerRate: DefaultSignInCallerRate, CallerBurst: DefaultSignInCallerBurst},
		MetricsNamespace:   DefaultMetricsNamespace,
		TokenExpiryWarning: DefaultTokenExpiryWarning,
	}
	if c != want {
		t.Errorf("Load = %+v, want %+v", c, want)
	}
}

func TestLoadValues(t *testing.T) {
	c, err := Load(env(map[string]string{
		EnvServerURL: "https://pms.example.com:32400/",
		EnvPlexTVURL: "http://127.0.0.1:8080/",
		EnvProduct:   "My Automations",
		EnvVersion:   "2.3.4",
		EnvSecretTTL: "90s",
	}), Needs{ServerURL: true})
	if err != nil {
		t.Fatal(err)
	}
	if c.ServerURL != "https://pms.example.com:32400" || c.PlexTVURL != "http://127.0.0.1:8080" {
		t.Errorf("URLs = %q, %q; want trailing slashes trimmed", c.ServerURL, c.PlexTVURL)
	}
	if c.Product != "My Automations" || c.Version != "2.3.4" || c.SecretTTL != 90*time.Second {
		t.Errorf("Load = %+v", c)
	}
}

func TestLoadSecretGrace(t *testing.T) {
	tests := []struct {
		raw  string
		want time.Duration
	}{
		{"", DefaultSecretGrace},
		{"0", 0}, // disables it
		{"0s", 0},
		{" 90s ", 90 * time.Second},
		{"1h", time.Hour},
	}
	for _, tt := range tests {
		c, err := Load(env(map[string]string{EnvSecretGrace: tt.raw}), Needs{})
		if err != nil || c.SecretGrace != tt.want {
			t.Errorf("%s=%q: got (%v, %v), want %v", EnvSecretGrace, tt.raw, c.SecretGrace, err, tt.want)
		}
	}
}

func TestLoadSignIn(t *testing.T) {
	tests := []struct {
		name string
		over map[string]string
		want signinguard.Limits
	}{
		{"values", map[string]string{EnvSignInLoginCooldown: "90s", EnvSignInBlockCooldown: "1h", EnvSignInCallerRate: "12", EnvSignInCallerBurst: "2"},
			signinguard.Limits{LoginCooldown: 90 * time.Second, BlockCooldown: time.Hour, CallerRate: 12, CallerBurst: 2}},
		{"zero turns each off", map[string]string{EnvSignInLoginCooldown: "0", EnvSignInBlockCooldown: "0s", EnvSignInCallerRate: "0"},
			signinguard.Limits{CallerBurst: DefaultSignInCallerBurst}},
		{"spaces", map[string]string{EnvSignInCallerRate: " 7 "},
			signinguard.Limits{LoginCooldown: DefaultSignInLoginCooldown, BlockCooldown: DefaultSignInBlockCooldown, CallerRate: 7, CallerBurst: DefaultSignInCallerBurst}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Load(env(tt.over), Needs{})
			if err != nil {
				t.Fatal(err)
			}
			if c.SignIn != tt.want {
				t.Errorf("SignIn = %+v, want %+v", c.SignIn, tt.want)
			}
		})
	}
}

func TestLoadServerURLOptional(t *testing.T) {
	c, err := Load(env(map[string]string{EnvServerURL: ""}), Needs{})
	if err != nil {
		t.Fatalf("plex.tv-only function: %v", err)
	}
	if c.ServerURL != "" {
		t.Errorf("ServerURL = %q, want empty", c.ServerURL)
	}
}

// TestLoadHTTPS: Plex URLs must be https; plain http only to a loopback
// host, or anywhere with the explicit opt-in.
func TestLoadHTTPS(t *testing.T) {
	tests := []struct {
		url       string
		allowHTTP string
		ok        bool
	}{
		{"https://plex.example.com:32400", "", true},
		{"https://192.168.1.10:32400", "", true},
		{"http://127.0.0.1:32400", "", true},
		{"http://127.8.9.10", "", true},
		{"http://[::1]:32400", "", true},
		{"http://localhost:32400", "", true},
		{"http://LOCALHOST", "", true},
		{"http://192.168.1.10:32400", "", false},
		{"http://10.0.0.2:32400", "false", false},
		{"http://plex.example.com", "", false},
		{"http://host.docker.internal:32400", "", false},
		{"http://localhost.example.com", "", false},
		{"http://128.0.0.1", "", false},
		{"http://[::2]", "", false},
		{"http://192.168.1.10:32400", "true", true},
		{"http://plex.example.com", "TRUE", true},
		{"http://host.docker.internal:32400", "true", true},
	}
	for _, tt := range tests {
		for _, name := range []string{EnvServerURL, EnvPlexTVURL} {
			t.Run(name+" "+tt.url+" "+tt.allowHTTP, func(t *testing.T) {
				c, err := Load(env(map[string]string{name: tt.url, EnvAllowHTTP: tt.allowHTTP}), Needs{ServerURL: true})
				if tt.ok {
					if err != nil || c.AllowHTTP != strings.EqualFold(tt.allowHTTP, "true") {
						t.Fatalf("Load = %+v, %v; want it accepted", c, err)
					}
					return
				}
				var ce *Error
				if !errors.As(err, &ce) || ce.Setting != name || !strings.Contains(ce.Problem, EnvAllowHTTP+"=true") {
					t.Fatalf("error %v, want one naming %s and the %s opt-in", err, name, EnvAllowHTTP)
				}
				if strings.Contains(err.Error(), tt.url) {
					t.Errorf("error %q repeats the URL", err)
				}
			})
		}
	}
}

func TestLoadErrors(t *testing.T) {
	tests := []struct {
		name    string
		over    map[string]string
		needs   Needs
		setting string
	}{
		{"no secret", map[string]string{EnvSecretARN: ""}, Needs{}, EnvSecretARN},
		{"blank secret", map[string]string{EnvSecretARN: "   "}, Needs{}, EnvSecretARN},
		{"no client identifier", map[string]string{EnvClientIdentifier: ""}, Needs{}, EnvClientIdentifier},
		{"no server url", map[string]string{EnvServerURL: ""}, Needs{ServerURL: true}, EnvServerURL},
		{"server url without scheme", map[string]string{EnvServerURL: "127.0.0.1:32400"}, Needs{ServerURL: true}, EnvServerURL},
		{"server url ftp", map[string]string{EnvServerURL: "ftp://host"}, Needs{ServerURL: true}, EnvServerURL},
		{"server url no host", map[string]string{EnvServerURL: "http://"}, Needs{ServerURL: true}, EnvServerURL},
		{"server url port only", map[string]string{EnvServerURL: "http://:32400"}, Needs{ServerURL: true}, EnvServerURL},
		{"server url bad port", map[string]string{EnvServerURL: "http://host:port"}, Needs{ServerURL: true}, EnvServerURL},
		{"server url credentials", map[string]string{EnvServerURL: "http://u:p@host"}, Needs{ServerURL: true}, EnvServerURL},
		{"server url query", map[string]string{EnvServerURL: "http://host/?X-Plex-Token=x"}, Needs{ServerURL: true}, EnvServerURL},
		{"malformed unneeded server url", map[string]string{EnvServerURL: "nope"}, Needs{}, EnvServerURL},
		{"plex.tv url relative", map[string]string{EnvPlexTVURL: "/plex"}, Needs{}, EnvPlexTVURL},
		{"plex.tv url fragment", map[string]string{EnvPlexTVURL: "https://plex.tv/#x"}, Needs{}, EnvPlexTVURL},
		{"client identifier with a newline", map[string]string{EnvClientIdentifier: "id\r\nX-Evil: 1"}, Needs{}, EnvClientIdentifier},
		{"product with a control character", map[string]string{EnvProduct: "plex\x00auth"}, Needs{}, EnvProduct},
		{"version with a tab", map[string]string{EnvVersion: "1.0\t0"}, Needs{}, EnvVersion},
		{"ttl not a duration", map[string]string{EnvSecretTTL: "5"}, Needs{}, EnvSecretTTL},
		{"ttl negative", map[string]string{EnvSecretTTL: "-1m"}, Needs{}, EnvSecretTTL},
		{"ttl zero", map[string]string{EnvSecretTTL: "0s"}, Needs{}, EnvSecretTTL},
		{"grace not a duration", map[string]string{EnvSecretGrace: "5"}, Needs{}, EnvSecretGrace},
		{"grace in words", map[string]string{EnvSecretGrace: "five minutes"}, Needs{}, EnvSecretGrace},
		{"grace negative", map[string]string{EnvSecretGrace: "-1m"}, Needs{}, EnvSecretGrace},
		{"allow http not a bool", map[string]string{EnvAllowHTTP: "yes"}, Needs{}, EnvAllowHTTP},
		{"allow http checked before the URLs", map[string]string{EnvAllowHTTP: "1", EnvServerURL: "http://192.168.1.10:32400"}, Needs{}, EnvAllowHTTP},
		{"login cool-down not a duration", map[string]string{EnvSignInLoginCooldown: "60"}, Needs{}, EnvSignInLoginCooldown},
		{"login cool-down negative", map[string]string{EnvSignInLoginCooldown: "-1m"}, Needs{}, EnvSignInLoginCooldown},
		{"block cool-down not a duration", map[string]string{EnvSignInBlockCooldown: "15 minutes"}, Needs{}, EnvSignInBlockCooldown},
		{"caller rate not a number", map[string]string{EnvSignInCallerRate: "5/m"}, Needs{}, EnvSignInCallerRate},
		{"caller rate negative", map[string]string{EnvSignInCallerRate: "-1"}, Needs{}, EnvSignInCallerRate},
		{"caller rate huge", map[string]string{EnvSignInCallerRate: "99999999999"}, Needs{}, EnvSignInCallerRate},
		{"caller burst zero", map[string]string{EnvSignInCallerBurst: "0"}, Needs{}, EnvSignInCallerBurst},
		{"caller burst fraction", map[string]string{EnvSignInCallerBurst: "2.5"}, Needs{}, EnvSignInCallerBurst},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Load(env(tt.over), tt.needs)
			var ce *Error
			if !errors.As(err, &ce) {
				t.Fatalf("Load error = %v, want *Error", err)
			}
			if ce.Setting != tt.setting {
				t.Errorf("Setting = %q, want %q (%v)", ce.Setting, tt.setting, err)
			}
			for _, v := range tt.over {
				if len(v) > 3 && strings.Contains(err.Error(), v) {
					t.Errorf("error %q repeats the value %q", err, v)
				}
			}
		})
	}
}

// TestLoadAgreesWithPlex: a URL or X-Plex-* value that Load accepts, plex.New
// accepts, and one Load refuses for its shape (not for the https rule, which
// is config's alone) plex.New refuses too: one check, two callers.
func TestLoadAgreesWithPlex(t *testing.T) {
	tests := []struct {
		name string
		over map[string]string
		ok   bool
	}{
		{"defaults", nil, true},
		{"https server with a path", map[string]string{EnvServerURL: "https://plex.example.com:32400/plex/"}, true},
		{"non-ASCII product", map[string]string{EnvProduct: "plexauth – Küche"}, true},
		{"server url port only", map[string]string{EnvServerURL: "http://:32400"}, false},
		{"server url opaque", map[string]string{EnvServerURL: "https:plex.example.com"}, false},
		{"server url ftp", map[string]string{EnvServerURL: "ftp://127.0.0.1"}, false},
		{"server url credentials", map[string]string{EnvServerURL: "http://u:p@127.0.0.1"}, false},
		{"server url empty query", map[string]string{EnvServerURL: "http://127.0.0.1/?"}, false},
		{"plex.tv url fragment", map[string]string{EnvPlexTVURL: "https://plex.tv/#x"}, false},
		{"version with a tab", map[string]string{EnvVersion: "1.0\t0"}, false},
		{"product with DEL", map[string]string{EnvProduct: "plex\x7fauth"}, false},
		{"client identifier with a newline", map[string]string{EnvClientIdentifier: "id\nX-Evil: 1"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			getenv := env(tt.over)
			_, loadErr := Load(getenv, Needs{ServerURL: true})
			_, newErr := plex.New(plex.Config{
				ServerURL: getenv(EnvServerURL), PlexTVURL: getenv(EnvPlexTVURL),
				ClientIdentifier: getenv(EnvClientIdentifier), Product: getenv(EnvProduct), Version: getenv(EnvVersion),
			})
			if (loadErr == nil) != tt.ok || (newErr == nil) != tt.ok {
				t.Fatalf("Load: %v; plex.New: %v; want both to accept: %v", loadErr, newErr, tt.ok)
			}
		})
	}
}
