package main

import (
	"testing"
	"time"

	"github.com/plexauth/plexauth/internal/keepalive"
)

func TestKeepAliveSummary(t *testing.T) {
	yes, no := true, false
	exp := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	tests := []struct {
		name string
		r    keepalive.Result
		want string
	}{
		{"all well", keepalive.Result{TokenValid: &yes, ServerReachable: true, MachineIdentifier: "abc", ServerVersion: "1.2"},
			"token valid, server reachable (machine id abc, version 1.2)"},
		{"rejected, server down", keepalive.Result{TokenValid: &no, SecretRefresh: "unchanged", ServerError: "plex: unavailable"},
			"token rejected by plex.tv (secret refreshed: unchanged), server unreachable (plex: unavailable)"},
		{"not checked", keepalive.Result{TokenError: "secret unavailable", ServerReachable: true, MachineIdentifier: "abc", ServerVersion: "1.2"},
			"token not checked (secret unavailable), server reachable (machine id abc, version 1.2)"},
		{"jwt expiring", keepalive.Result{TokenValid: &yes, TokenExpiresAt: &exp, TokenExpiring: true, ServerError: "plex: not configured"},
			"token valid, a JWT expiring 2026-01-02T03:04:05Z (soon: sign in again), server unreachable (plex: not configured)"},
		{"jwt far", keepalive.Result{TokenValid: &yes, TokenExpiresAt: &exp, ServerReachable: true, MachineIdentifier: "abc", ServerVersion: "1.2"},
			"token valid, a JWT expiring 2026-01-02T03:04:05Z, server reachable (machine id abc, version 1.2)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := keepAliveSummary(tt.r); got != tt.want {
				t.Errorf("got  %q\nwant %q", got, tt.want)
			}
		})
	}
}
