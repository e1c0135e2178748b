package keepalive_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/plexauth/plexauth/internal/api/apitest"
	"github.com/plexauth/plexauth/internal/keepalive"
	"github.com/plexauth/plexauth/internal/secret"
	"github.com/plexauth/plexauth/pkg/plex/plextest"
)

// jwtExpiring crafts a JWT whose exp is d from now (nothing verifies it).
func jwtExpiring(d time.Duration) string {
	enc := base64.RawURLEncoding.EncodeToString
	return enc([]byte(`{"alg":"EdDSA","typ":"JWT"}`)) + "." +
		enc([]byte(fmt.Sprintf(`{"exp":%d,"user":{"uuid":"never-logged"}}`, time.Now().Add(d).Unix()))) + "." + enc([]byte("sig"))
}

// emfLine parses the run's one line as EMF and returns its top-level fields
// and the metrics' units.
func emfLine(t *testing.T, out string) (map[string]any, map[string]string) {
	t.Helper()
	if strings.Count(out, "\n") != 1 {
		t.Fatalf("want exactly one line, got %q", out)
	}
	var doc map[string]any
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatal(err)
	}
	var meta struct {
		AWS struct {
			Timestamp         int64
			CloudWatchMetrics []struct {
				Namespace  string
				Dimensions [][]string
				Metrics    []struct{ Name, Unit string }
			}
		} `json:"_aws"`
	}
	_ = json.Unmarshal([]byte(out), &meta)
	if len(meta.AWS.CloudWatchMetrics) != 1 || meta.AWS.Timestamp == 0 {
		t.Fatalf("_aws = %+v: want a timestamp and one directive", meta.AWS)
	}
	d := meta.AWS.CloudWatchMetrics[0]
	if d.Namespace != "plexauth-test" || len(d.Dimensions) != 1 || len(d.Dimensions[0]) != 1 || d.Dimensions[0][0] != "Function" || doc["Function"] != "keepalive" {
		t.Errorf("directive %+v, Function %v: want namespace plexauth-test, dimension Function=keepalive", d, doc["Function"])
	}
	units := map[string]string{}
	for _, m := range d.Metrics {
		units[m.Name] = m.Unit
		if _, ok := doc[m.Name].(float64); !ok {
			t.Errorf("metric %s has no numeric value", m.Name)
		}
	}
	return doc, units
}

func TestRun(t *testing.T) {
	p := apitest.NewPlex(t)
	const rotated = "rotated-admin-token-0002"
	near, far := jwtExpiring(3*time.Hour), jwtExpiring(6*24*time.Hour)
	adminIs := func(tok string) func(*testing.T) {
		return func(t *testing.T) {
			p.SetAdminToken(tok)
			t.Cleanup(func() { p.SetAdminToken(plextest.AdminToken) })
		}
	}
	tests := []struct {
		name      string
		secrets   *apitest.Secrets
		setup     func(*testing.T)
		valid     any // true, false or nil (not reported)
		reachable bool
		refresh   string
		refreshes int
		expiring  bool
		hoursLeft bool // TokenHoursLeft reported
		userCalls int
	}{
		{name: "valid", valid: true, reachable: true, userCalls: 1},
		{name: "rejected then rotated", secrets: apitest.NewSecrets(apitest.Value(plextest.AdminToken), apitest.Value(rotated)),
			setup: adminIs(rotated), valid: true, reachable: true, refresh: "rotated", refreshes: 1, userCalls: 2},
		{name: "rejected", setup: adminIs(rotated), valid: false, reachable: true, refresh: "unchanged", refreshes: 1, userCalls: 1},
		{name: "server down", setup: func(*testing.T) { p.SetFault(plextest.RouteIdentity, plextest.Fault{Status: 503}) },
			valid: true, reachable: false, userCalls: 1},
		{name: "server connection reset", setup: func(*testing.T) { p.SetFault(plextest.RouteIdentity, plextest.Fault{Reset: true}) },
			valid: true, reachable: false, userCalls: 1},
		{name: "jwt near expiry", secrets: apitest.NewSecrets(apitest.Value(near)), setup: adminIs(near),
			valid: true, reachable: true, expiring: true, hoursLeft: true, userCalls: 1},
		{name: "jwt far from expiry", secrets: apitest.NewSecrets(apitest.Value(far)), setup: adminIs(far),
			valid: true, reachable: true, hoursLeft: true, userCalls: 1},
		{name: "plex.tv failing proves nothing", setup: func(*testing.T) { p.SetFault(plextest.RouteUser, plextest.Fault{Status: 502}) },
			valid: nil, reachable: true, userCalls: 1},
		{name: "secret unavailable", secrets: apitest.FailingSecrets(secret.ErrUnavailable), valid: nil, reachable: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p.Reset()
			if tt.setup != nil {
				tt.setup(t)
			}
			secrets := tt.secrets
			if secrets == nil {
				secrets = apitest.NewSecrets()
			}
			var out bytes.Buffer
			r := keepalive.KeepAlive.Runner(keepalive.Deps{Plex: p.Client, Secrets: secrets, Out: &out,
				Namespace: "plexauth-test", Warning: 24 * time.Hour})
			res := r.Run(t.Context())

			doc, units := emfLine(t, out.String())
			if doc["tokenValid"] != tt.valid {
				t.Errorf("tokenValid = %v, want %v", doc["tokenValid"], tt.valid)
			}
			wantValid := map[any]any{true: 1.0, false: 0.0, nil: nil}[tt.valid]
			if doc[keepalive.MetricTokenValid] != wantValid || (wantValid != nil) != (units[keepalive.MetricTokenValid] == "Count") {
				t.Errorf("TokenValid metric %v (%q), want %v", doc[keepalive.MetricTokenValid], units[keepalive.MetricTokenValid], wantValid)
			}
			if doc[keepalive.MetricServerReachable] != map[bool]any{true: 1.0, false: 0.0}[tt.reachable] || units[keepalive.MetricServerReachable] != "Count" {
				t.Errorf("ServerReachable metric %v, want %v", doc[keepalive.MetricServerReachable], tt.reachable)
			}
			if tt.reachable && (doc["machineIdentifier"] != plextest.ServerID || doc["serverVersion"] != plextest.ServerVersion) {
				t.Errorf("machineIdentifier %v version %v, want the server's", doc["machineIdentifier"], doc["serverVersion"])
			}
			if units[keepalive.MetricServerLatency] != "Milliseconds" {
				t.Errorf("server latency unit %q", units[keepalive.MetricServerLatency])
			}
			if tt.userCalls > 0 && (units[keepalive.MetricPingLatency] != "Milliseconds" || units[keepalive.MetricUserLatency] != "Milliseconds") {
				t.Errorf("plex.tv latencies missing: %v", units)
			}
			if got := p.Count(plextest.RouteUser); got != tt.userCalls {
				t.Errorf("%d /api/v2/user calls, want %d", got, tt.userCalls)
			}
			if got := p.Count(plextest.RoutePing); got != tt.userCalls {
				t.Errorf("%d pings, want %d (one before each check)", got, tt.userCalls)
			}
			if got := secrets.Refreshes(); got != tt.refreshes {
				t.Errorf("%d refreshes, want %d", got, tt.refreshes)
			}
			if res.SecretRefresh != tt.refresh || (tt.refresh != "" && doc["secretRefresh"] != tt.refresh) {
				t.Errorf("secretRefresh %q / %v, want %q", res.SecretRefresh, doc["secretRefresh"], tt.refresh)
			}
			if res.TokenExpiring != tt.expiring || doc["tokenExpiring"] != tt.expiring {
				t.Errorf("tokenExpiring = %v, want %v", res.TokenExpiring, tt.expiring)
			}
			h, has := doc[keepalive.MetricTokenHoursLeft].(float64)
			if has != tt.hoursLeft {
				t.Errorf("TokenHoursLeft present = %v, want %v", has, tt.hoursLeft)
			}
			if tt.expiring && (h <= 2.9 || h > 3) {
				t.Errorf("TokenHoursLeft = %v, want about 3", h)
			}
			if tt.hoursLeft && (doc["tokenType"] != "jwt" || doc["tokenExpiresAt"] == nil) {
				t.Errorf("tokenType %v, tokenExpiresAt %v: want jwt with its expiry", doc["tokenType"], doc["tokenExpiresAt"])
			}
			for _, s := range []string{plextest.AdminToken, rotated, near, far, "never-logged"} {
				if strings.Contains(out.String(), s) {
					t.Errorf("the line holds a token or a claim")
				}
			}
		})
	}
}

// Handle is the schedule's entry point: it never fails the invocation (a
// retry would ping again), whatever the checks found.
func TestHandleNeverFails(t *testing.T) {
	p := apitest.NewPlex(t)
	p.SetFault(plextest.RouteIdentity, plextest.Fault{Status: 500})
	var out bytes.Buffer
	r := keepalive.KeepAlive.Runner(keepalive.Deps{Plex: p.Client, Secrets: apitest.FailingSecrets(errors.New("down")), Out: &out, Namespace: "plexauth-test"})
	res, err := r.Handle(apitest.LambdaContext(t.Context(), "run-1"), eventBridge())
	if err != nil || res.ServerReachable || res.TokenValid != nil {
		t.Errorf("Handle = %+v, %v; want a result and no error", res, err)
	}
	// The logger's field names, and the run's request id, as on every line.
	if doc, _ := emfLine(t, out.String()); doc["message"] != "keepalive" || doc["level"] != "INFO" || doc["requestId"] != "run-1" {
		t.Errorf("line %v: want message keepalive, level INFO, requestId run-1", doc)
	}
}
