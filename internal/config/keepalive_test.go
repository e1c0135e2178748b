package config

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestLoadKeepAlive(t *testing.T) {
	tests := []struct {
		name      string
		over      map[string]string
		namespace string
		warning   time.Duration
		bad       string // the setting an error names; "" for success
	}{
		{"defaults", nil, DefaultMetricsNamespace, DefaultTokenExpiryWarning, ""},
		{"values", map[string]string{EnvMetricsNamespace: "home/plexauth", EnvTokenExpiryWarning: "48"}, "home/plexauth", 48 * time.Hour, ""},
		{"spaces", map[string]string{EnvTokenExpiryWarning: " 6 "}, DefaultMetricsNamespace, 6 * time.Hour, ""},
		{"zero hours", map[string]string{EnvTokenExpiryWarning: "0"}, "", 0, EnvTokenExpiryWarning},
		{"a duration, not hours", map[string]string{EnvTokenExpiryWarning: "24h"}, "", 0, EnvTokenExpiryWarning},
		{"over a year", map[string]string{EnvTokenExpiryWarning: "8761"}, "", 0, EnvTokenExpiryWarning},
		{"namespace with a colon", map[string]string{EnvMetricsNamespace: "a:b"}, "", 0, EnvMetricsNamespace},
		{"namespace too long", map[string]string{EnvMetricsNamespace: strings.Repeat("n", 256)}, "", 0, EnvMetricsNamespace},
		{"namespace not ASCII", map[string]string{EnvMetricsNamespace: "plexé"}, "", 0, EnvMetricsNamespace},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Load(env(tt.over), Needs{})
			if tt.bad != "" {
				var ce *Error
				if !errors.As(err, &ce) || ce.Setting != tt.bad {
					t.Fatalf("error %v, want one naming %s", err, tt.bad)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if c.MetricsNamespace != tt.namespace || c.TokenExpiryWarning != tt.warning {
				t.Errorf("got %q, %v; want %q, %v", c.MetricsNamespace, c.TokenExpiryWarning, tt.namespace, tt.warning)
			}
		})
	}
}
