package e2e

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/plexauth/plexauth/internal/keepalive"
	"github.com/plexauth/plexauth/internal/metrics"
	"github.com/plexauth/plexauth/internal/secret/secrettest"
	"github.com/plexauth/plexauth/pkg/plex/plextest"
)

const e2eNamespace = "plexauth-e2e"

// keepAliveUnits is each metric the keep-alive may write, with its unit.
var keepAliveUnits = map[string]metrics.Unit{
	keepalive.MetricTokenValid:      metrics.Count,
	keepalive.MetricServerReachable: metrics.Count,
	keepalive.MetricTokenHoursLeft:  metrics.None,
	keepalive.MetricPingLatency:     metrics.Milliseconds,
	keepalive.MetricUserLatency:     metrics.Milliseconds,
	keepalive.MetricServerLatency:   metrics.Milliseconds,
}

// jwtExpiring is a Plex-shaped JWT whose exp is d from now; nothing here
// verifies its signature.
func jwtExpiring(d time.Duration) string {
	enc := base64.RawURLEncoding.EncodeToString
	return enc([]byte(`{"alg":"EdDSA","typ":"JWT"}`)) + "." +
		enc(fmt.Appendf(nil, `{"exp":%d,"user":{"uuid":"e2e-never-logged"}}`, time.Now().Add(d).Unix())) + "." + enc([]byte("e2e-signature"))
}

// TestKeepAlive runs the keep-alive's bootstrap on scheduled events against
// the simulator and the Secrets Manager stand-in, one state after another
// (the cached secret carries over, as in one warm container), and parses
// each run's line as EMF.
func TestKeepAlive(t *testing.T) {
	sm := secrettest.NewServer(t)
	sim := plextest.NewServer()
	t.Cleanup(sim.Close)
	const name = "plexauth-e2e-keepalive"
	arn := sm.Put(name, secretJSON(plextest.AdminToken))
	f := function{name: keepalive.KeepAlive.Name}
	env := append(functionEnv(f.name, sim.URL, sm.URL, arn), "METRICS_NAMESPACE="+e2eNamespace, "TOKEN_EXPIRY_WARNING_HOURS=24")
	in := start(t, f, env)
	event, err := os.ReadFile(filepath.Join(moduleRoot(t), "events", f.name+".json"))
	if err != nil {
		t.Fatal(err)
	}

	const rotated, revoked = "rotated-admin-token-0002", "revoked-admin-token-0003"
	near := jwtExpiring(3 * time.Hour)
	tests := []struct {
		name      string
		setup     func()
		valid     any // true, false, or nil: not reported
		reachable bool
		refresh   string
		jwt       bool // tokenType jwt, with TokenHoursLeft and expiring
	}{
		{name: "valid", valid: true, reachable: true},
		{name: "rejected then rotated", setup: func() {
			sm.Put(name, secretJSON(rotated)) // the rotation the cached secret has not seen
			sim.SetAdminToken(rotated)
		}, valid: true, reachable: true, refresh: "rotated"},
		// plex.tv revoked the token and the secret still holds it.
		{name: "rejected", setup: func() { sim.SetAdminToken(revoked) }, valid: false, reachable: true, refresh: "unchanged"},
		{name: "server down", setup: func() {
			sim.SetAdminToken(rotated)
			sim.SetFault(plextest.RouteIdentity, plextest.Fault{Status: 503})
		}, valid: true, reachable: false},
		{name: "jwt near expiry", setup: func() {
			sim.ClearFaults()
			sm.Put(name, secretJSON(near))
			sim.SetAdminToken(near)
		}, valid: true, reachable: true, refresh: "rotated", jwt: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.setup != nil {
				tt.setup()
			}
			before := len(emfLines(t, in))
			start := time.Now()
			res, err := in.srv.Invoke(t.Context(), event, invokeTimeout)
			if err != nil || res.Err != nil {
				t.Fatalf("invoke: %v %+v\n%s", err, res.Err, in.proc.Output())
			}
			// The handler's result is the run's outcome; a failed check is
			// no function error (Lambda would retry the run).
			var out keepalive.Result
			if err := json.Unmarshal(res.Payload, &out); err != nil {
				t.Fatalf("payload %s: %v", res.Payload, err)
			}
			if got := any(nil); out.TokenValid != nil {
				got = *out.TokenValid
				if got != tt.valid {
					t.Errorf("result tokenValid = %v, want %v", got, tt.valid)
				}
			} else if tt.valid != nil {
				t.Errorf("result tokenValid = nil, want %v", tt.valid)
			}
			if out.ServerReachable != tt.reachable || out.SecretRefresh != tt.refresh {
				t.Errorf("result serverReachable %v secretRefresh %q, want %v %q", out.ServerReachable, out.SecretRefresh, tt.reachable, tt.refresh)
			}

			lines := emfLines(t, in)
			if len(lines) != before+1 {
				t.Fatalf("%d EMF lines after the run, want %d", len(lines), before+1)
			}
			doc := lines[len(lines)-1]
			values := checkEMF(t, doc, start)
			if doc["tokenValid"] != tt.valid {
				t.Errorf("line tokenValid = %v, want %v", doc["tokenValid"], tt.valid)
			}
			wantValid := map[any]any{true: 1.0, false: 0.0, nil: nil}[tt.valid]
			if got, ok := values[keepalive.MetricTokenValid]; (wantValid == nil) == ok || (ok && got != wantValid) {
				t.Errorf("%s = %v (reported %v), want %v", keepalive.MetricTokenValid, got, ok, wantValid)
			}
			if got := values[keepalive.MetricServerReachable]; got != map[bool]float64{true: 1, false: 0}[tt.reachable] {
				t.Errorf("%s = %v, want reachable %v", keepalive.MetricServerReachable, got, tt.reachable)
			}
			if tt.reachable && (doc["machineIdentifier"] != plextest.ServerID || doc["serverVersion"] != plextest.ServerVersion) {
				t.Errorf("machineIdentifier %v, serverVersion %v: want the server's", doc["machineIdentifier"], doc["serverVersion"])
			}
			if !tt.reachable && doc["serverError"] == nil {
				t.Error("server down, but no serverError")
			}
			hours, ok := values[keepalive.MetricTokenHoursLeft]
			if ok != tt.jwt || doc["tokenExpiring"] != tt.jwt || (doc["tokenType"] == "jwt") != tt.jwt {
				t.Errorf("TokenHoursLeft %v (reported %v), tokenExpiring %v, tokenType %v; want jwt %v",
					hours, ok, doc["tokenExpiring"], doc["tokenType"], tt.jwt)
			}
			if tt.jwt && (hours <= 2.9 || hours > 3) {
				t.Errorf("TokenHoursLeft = %v, want just under 3", hours)
			}
		})
	}

	t.Run("logs", func(t *testing.T) {
		// Not a request line in sight: the runs are no API requests.
		in.checkLogs(t, plextest.AdminToken, rotated, revoked, near, strings.Split(near, ".")[1], ciKey, localKey)
	})
}

// emfLines returns the function's log lines that carry EMF metadata.
func emfLines(t *testing.T, in *instance) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, l := range in.lines() {
		if _, ok := l.fields["_aws"]; ok {
			out = append(out, l.fields)
		}
	}
	return out
}

// checkEMF checks doc against the embedded metric format: _aws with a
// Timestamp in unix milliseconds (not before the run) and one directive in
// the keep-alive's namespace, with its dimension set present in the line,
// and each metric a known name with its unit and a numeric value. It returns
// the metrics' values.
func checkEMF(t *testing.T, doc map[string]any, notBefore time.Time) map[string]float64 {
	t.Helper()
	raw, _ := json.Marshal(doc["_aws"])
	var meta struct {
		Timestamp         *int64
		CloudWatchMetrics []struct {
			Namespace  string
			Dimensions [][]string
			Metrics    []struct {
				Name string
				Unit metrics.Unit
			}
		}
	}
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&meta); err != nil {
		t.Fatalf("_aws %s: %v", raw, err)
	}
	if meta.Timestamp == nil || *meta.Timestamp < notBefore.Add(-time.Second).UnixMilli() || *meta.Timestamp > time.Now().UnixMilli() {
		t.Errorf("_aws.Timestamp = %v, want the run's time in unix milliseconds", meta.Timestamp)
	}
	if len(meta.CloudWatchMetrics) != 1 {
		t.Fatalf("_aws.CloudWatchMetrics has %d directives, want 1", len(meta.CloudWatchMetrics))
	}
	d := meta.CloudWatchMetrics[0]
	if d.Namespace != e2eNamespace {
		t.Errorf("Namespace = %q, want METRICS_NAMESPACE's %q", d.Namespace, e2eNamespace)
	}
	wantDims := keepalive.KeepAlive.Dimensions()
	if len(d.Dimensions) != 1 || len(d.Dimensions[0]) != len(wantDims) {
		t.Errorf("Dimensions = %v, want one set of %v", d.Dimensions, wantDims)
	} else {
		for _, k := range d.Dimensions[0] {
			if doc[k] != wantDims[k] {
				t.Errorf("dimension %s = %v, want %q", k, doc[k], wantDims[k])
			}
		}
	}
	values := map[string]float64{}
	for _, m := range d.Metrics {
		want, known := keepAliveUnits[m.Name]
		if !known || m.Unit != want {
			t.Errorf("metric %s unit %q: want a keep-alive metric with its unit (%q)", m.Name, m.Unit, want)
		}
		v, ok := doc[m.Name].(float64)
		if !ok {
			t.Errorf("metric %s has no numeric value in the line: %v", m.Name, doc[m.Name])
		}
		if _, dup := values[m.Name]; dup {
			t.Errorf("metric %s is declared twice", m.Name)
		}
		values[m.Name] = v
	}
	for _, name := range []string{keepalive.MetricServerReachable, keepalive.MetricPingLatency, keepalive.MetricServerLatency} {
		if _, ok := values[name]; !ok {
			t.Errorf("metric %s missing", name)
		}
	}
	return values
}
