package lambdamain

import (
	"encoding/json"
	"errors"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/plexauth/plexauth/internal/api/apitest"
	"github.com/plexauth/plexauth/internal/config"
	"github.com/plexauth/plexauth/internal/endpoint"
	"github.com/plexauth/plexauth/internal/secret/secrettest"
	"github.com/plexauth/plexauth/pkg/plex"
	"github.com/plexauth/plexauth/pkg/plex/plextest"
)

// standIns starts a Secrets Manager stand-in holding the test secret, with
// the SDK's environment pointed at it, and a Plex simulator; both end with t.
func standIns(t *testing.T) (sm *secrettest.Server, arn string, sim *plextest.Server) {
	t.Helper()
	sm = secrettest.NewServer(t)
	secrettest.SetEnv(t, sm.URL)
	arn = sm.Put("plexauth", apitest.SecretJSON(plextest.AdminToken))
	sim = plextest.NewServer()
	t.Cleanup(sim.Close)
	return sm, arn, sim
}

// simEnv is a function's environment pointing at the stand-ins of standIns:
// the simulator for both Plex hosts, the secret at arn.
func simEnv(sim *plextest.Server, arn string) func(string) string {
	return env(map[string]string{
		config.EnvServerURL:        sim.URL,
		config.EnvPlexTVURL:        sim.URL,
		config.EnvSecretARN:        arn,
		config.EnvClientIdentifier: "plexauth-test",
	})
}

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

// TestSetup drives the wiring end to end: the real AWS SDK and secret.Store
// against a Secrets Manager stand-in, the real Plex client against the
// simulator, then an admin token rotation.
func TestSetup(t *testing.T) {
	sm, arn, sim := standIns(t)

	logs := &apitest.LogBuffer{}
	h, err := Setup(t.Context(), Env{Log: logs, Getenv: simEnv(sim, arn)}, endpoint.Transient)
	if err != nil {
		t.Fatal(err)
	}
	ev := apitest.Event{Method: "POST", Path: "/transient-token"}.Authorized().JSON()
	invoke := func() {
		t.Helper()
		if r := apitest.Invoke(t, t.Context(), h, ev); r.Status != 200 {
			t.Fatalf("got %d %s", r.Status, r.Body)
		}
	}
	invoke()
	invoke()
	if n := sm.Calls(); n != 1 {
		t.Errorf("Secrets Manager calls = %d after two requests, want 1 (prefetch or first use, then the cache)", n)
	}

	// Rotation: Plex and the secret move to a new token; the cached one is
	// rejected once, refreshed once, and the call retried once.
	sim.SetAdminToken(apitest.RotatedToken)
	sm.Put("plexauth", apitest.SecretJSON(apitest.RotatedToken))
	sim.Reset()
	invoke()
	if n := sm.Calls(); n != 2 {
		t.Errorf("Secrets Manager calls = %d, want 2 (one refresh)", n)
	}
	if n := sim.Count(plextest.RouteTransient); n != 2 {
		t.Errorf("Plex calls = %d, want 2 (rejected, then retried)", n)
	}
	for _, s := range []string{plextest.AdminToken, apitest.RotatedToken, apitest.CallerKey} {
		if strings.Contains(logs.String(), s) {
			t.Errorf("log holds %q", s)
		}
	}
}

func TestSetupErrors(t *testing.T) {
	secrettest.SetEnv(t, secrettest.ClosedEndpoint(t))
	valid := map[string]string{
		config.EnvServerURL:        "http://127.0.0.1:32400",
		config.EnvSecretARN:        "plexauth",
		config.EnvClientIdentifier: "plexauth-test",
	}
	tests := []struct {
		name    string
		unset   string
		set     map[string]string
		plexTV  bool // a plex.tv route, else a server one
		setting string
	}{
		{name: "no secret", unset: config.EnvSecretARN, setting: config.EnvSecretARN},
		{name: "no client identifier", unset: config.EnvClientIdentifier, setting: config.EnvClientIdentifier},
		{name: "no server url", unset: config.EnvServerURL, setting: config.EnvServerURL},
		{name: "bad plex url", set: map[string]string{config.EnvPlexTVURL: "plex.tv"}, plexTV: true, setting: config.EnvPlexTVURL},
		{name: "no region", set: map[string]string{"AWS_REGION": ""}, setting: "AWS_REGION"},
		{name: "bad sign-in burst", set: map[string]string{config.EnvSignInCallerBurst: "0"}, setting: config.EnvSignInCallerBurst},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := map[string]string{}
			for k, v := range valid {
				m[k] = v
			}
			delete(m, tt.unset)
			for k, v := range tt.set {
				if strings.HasPrefix(k, "AWS_") {
					t.Setenv(k, v)
					t.Setenv("AWS_DEFAULT_REGION", "")
				} else {
					m[k] = v
				}
			}
			route := endpoint.Transient
			if tt.plexTV {
				route = endpoint.Details
			}
			_, err := Setup(t.Context(), Env{Getenv: env(m), Log: &apitest.LogBuffer{}}, route)
			var ce *config.Error
			if !errors.As(err, &ce) || ce.Setting != tt.setting {
				t.Fatalf("Setup error = %v, want one naming %s", err, tt.setting)
			}
		})
	}
}

// TestSetupSignIn wires sign-in as functions/signin does: the guard's
// limits come from the environment.
func TestSetupSignIn(t *testing.T) {
	_, arn, sim := standIns(t)
	h, err := Setup(t.Context(), Env{Log: &apitest.LogBuffer{}, Getenv: env(map[string]string{
		config.EnvPlexTVURL:         sim.URL,
		config.EnvSecretARN:         arn,
		config.EnvClientIdentifier:  "plexauth-test",
		config.EnvSignInCallerRate:  "1",
		config.EnvSignInCallerBurst: "1",
	})}, endpoint.SignIn)
	if err != nil {
		t.Fatal(err)
	}
	ev := apitest.Event{Method: "POST", Path: "/signin"}.Authorized().
		JSONBody(`{"login":"` + plextest.UserLogin + `","password":"` + plextest.UserPassword + `"}`).JSON()
	for i, want := range []int{200, 429} {
		if r := apitest.Invoke(t, t.Context(), h, ev); r.Status != want {
			t.Errorf("sign-in %d: %d %s, want %d (a burst of 1)", i+1, r.Status, r.Body, want)
		}
	}
}

// TestSetupHosts builds every route with only the Plex URL its declared
// host needs: a plex.tv route without PLEX_SERVER_URL, a server route with
// plex.tv unreachable. A route declared with the wrong host fails either at
// init or with 500 misconfigured.
func TestSetupHosts(t *testing.T) {
	_, arn, sim := standIns(t)
	closed := secrettest.ClosedEndpoint(t) // nothing listens there
	signIn := `{"login":"` + plextest.UserLogin + `","password":"` + plextest.UserPassword + `"}`
	events := map[string]apitest.Event{ // a request each route answers with 200
		"transient": {Method: "POST", Path: "/transient-token"},
		"sources":   {Method: "GET", Path: "/sources", Query: "source=" + url.QueryEscape(plextest.ServerSource)},
		"details":   {Method: "GET", Path: "/token-details"},
		"signin":    apitest.Event{Method: "POST", Path: "/signin"}.JSONBody(signIn),
		"pins":      {Method: "POST", Path: "/pins"},
		"pin":       {Method: "GET", Route: "/pins/{id}"}, // Path: a PIN this env's /pins made
		"servers":   {Method: "GET", Path: "/servers"},
	}
	for _, r := range endpoint.All {
		t.Run(r.Name, func(t *testing.T) {
			vars := map[string]string{config.EnvSecretARN: arn, config.EnvClientIdentifier: "plexauth-test", config.EnvPlexTVURL: closed}
			if r.Host == plex.ServerHost {
				vars[config.EnvServerURL] = sim.URL
			} else {
				vars[config.EnvPlexTVURL] = sim.URL
			}
			logs := &apitest.LogBuffer{}
			h, err := Setup(t.Context(), Env{Getenv: env(vars), Log: logs}, r)
			if err != nil {
				t.Fatal(err)
			}
			ev, ok := events[r.Name]
			if !ok {
				t.Fatalf("no event for route %s", r.Name)
			}
			if r.Name == endpoint.CheckPin.Name {
				ev.Path = "/pins/" + createPin(t, Env{Getenv: env(vars), Log: &apitest.LogBuffer{}})
			}
			if resp := apitest.Invoke(t, t.Context(), h, ev.Authorized().JSON()); resp.Status != 200 && resp.Status != 201 {
				t.Fatalf("got %d %s", resp.Status, resp.Body)
			}
			// The request's line went to env.Log: the handler has its logger.
			if !strings.Contains(logs.String(), `"route":"`+r.Path+`"`) {
				t.Errorf("no request line in the function's log: %s", logs)
			}
		})
	}
}

// createPin makes a PIN through the /pins function set up with env and
// returns its id.
func createPin(t *testing.T, e Env) string {
	t.Helper()
	h, err := Setup(t.Context(), e, endpoint.CreatePin)
	if err != nil {
		t.Fatal(err)
	}
	resp := apitest.Invoke(t, t.Context(), h, apitest.Event{Method: "POST", Path: "/pins"}.Authorized().JSON())
	var v struct{ ID string }
	if resp.Status != 201 || json.Unmarshal([]byte(resp.Body), &v) != nil || v.ID == "" {
		t.Fatalf("POST /pins: %d %s", resp.Status, resp.Body)
	}
	return v.ID
}

// TestRunInitFailure runs Start in a child process: a bad setting must end it
// with status 1 and one JSON log line naming the setting.
func TestRunInitFailure(t *testing.T) {
	if os.Getenv("LAMBDAMAIN_TEST_RUN") == "1" {
		Start(endpoint.Transient)
		return
	}
	tests := []struct {
		name    string
		env     []string
		setting string
	}{
		{"no secret", []string{"PLEX_CLIENT_IDENTIFIER=id", "PLEX_SERVER_URL=http://127.0.0.1:32400"}, config.EnvSecretARN},
		{"no client identifier", []string{"PLEX_SECRET_ARN=s", "PLEX_SERVER_URL=http://127.0.0.1:32400"}, config.EnvClientIdentifier},
		{"bad server url", []string{"PLEX_SECRET_ARN=s", "PLEX_CLIENT_IDENTIFIER=id", "PLEX_SERVER_URL=ftp://host"}, config.EnvServerURL},
		// The admin token would cross the network in clear: the line names
		// the URL and the opt-in.
		{"plain http server url", []string{"PLEX_SECRET_ARN=s", "PLEX_CLIENT_IDENTIFIER=id", "PLEX_SERVER_URL=http://192.168.1.10:32400"}, config.EnvServerURL},
		{"plain http plex.tv url", []string{"PLEX_SECRET_ARN=s", "PLEX_CLIENT_IDENTIFIER=id", "PLEX_SERVER_URL=https://192.168.1.10:32400",
			"PLEX_TV_URL=http://plex.tv"}, config.EnvPlexTVURL},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cmd := exec.Command(os.Args[0], "-test.run=^TestRunInitFailure$")
			cmd.Env = append([]string{"LAMBDAMAIN_TEST_RUN=1"}, tt.env...)
			out, err := cmd.Output()
			var exit *exec.ExitError
			if !errors.As(err, &exit) || exit.ExitCode() != 1 {
				t.Fatalf("child ended with %v, want exit status 1; output %s", err, out)
			}
			lines := strings.Split(strings.TrimSpace(string(out)), "\n")
			var line map[string]any
			if len(lines) != 1 || json.Unmarshal([]byte(lines[0]), &line) != nil {
				t.Fatalf("output %q: want one JSON line", out)
			}
			if line["level"] != "ERROR" || line["setting"] != tt.setting {
				t.Errorf("log line %s: want level ERROR naming %s", lines[0], tt.setting)
			}
			if strings.Contains(tt.name, "plain http") && !strings.Contains(lines[0], config.EnvAllowHTTP+"=true") {
				t.Errorf("log line %s: want the %s opt-in named", lines[0], config.EnvAllowHTTP)
			}
		})
	}
}

// TestColdPathOverlap: by default init starts the secret fetch itself and
// does not wait for it (Secrets Manager is held while Setup returns); with
// NoOverlap, the naive path, Secrets Manager sees no call and Plex no warm-up
// before the first request.
func TestColdPathOverlap(t *testing.T) {
	for _, tt := range []struct {
		name      string
		opts      []Option
		noOverlap bool
	}{
		{name: "overlap"},
		{name: "no overlap", opts: []Option{NoOverlap()}, noOverlap: true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			sm, arn, sim := standIns(t)
			arrivals, release := sm.Hold()
			defer release()

			h, err := Setup(t.Context(), Env{Log: &apitest.LogBuffer{}, Getenv: simEnv(sim, arn)}, endpoint.Transient, tt.opts...)
			if err != nil {
				t.Fatal(err)
			}
			if !tt.noOverlap {
				// Setup has returned with the fetch held: init did not wait.
				select {
				case <-arrivals:
				case <-time.After(10 * time.Second): // a failure bound, not a speed target
					t.Fatal("init started no secret fetch")
				}
			} else {
				// Nothing may reach Secrets Manager before the first request.
				// How long to watch is a bound for noticing a stray prefetch
				// (one arrives within milliseconds), not a speed target.
				select {
				case <-arrivals:
					t.Fatal("the naive path fetched the secret at init")
				case <-time.After(300 * time.Millisecond):
				}
				if n := sm.Calls(); n != 0 {
					t.Fatalf("Secrets Manager calls = %d before the first request, want 0", n)
				}
				if n := sim.Connections(); n != 0 {
					t.Fatalf("the naive path connected to Plex at init (%d connections)", n)
				}
			}
			release()
			ev := apitest.Event{Method: "POST", Path: "/transient-token"}.Authorized().JSON()
			if r := apitest.Invoke(t, t.Context(), h, ev); r.Status != 200 {
				t.Fatalf("got %d %s", r.Status, r.Body)
			}
			if n := sm.Calls(); n != 1 {
				t.Errorf("Secrets Manager calls = %d, want 1", n)
			}
		})
	}
}

// TestInitWaitsForWarmUp: Start's init (setup's warmed) returns only once
// the secret is fetched and the Plex connection is open, so the CPU-heavy
// handshakes run while Lambda gives init the full CPU; a warm-up that hangs
// holds init no longer than the bound, and the naive path waits for nothing.
func TestInitWaitsForWarmUp(t *testing.T) {
	for _, tt := range []struct {
		name string
		o    options
		hang bool // Secrets Manager never answers during init
	}{
		{name: "overlap"},
		{name: "overlap, Secrets Manager hangs", hang: true},
		{name: "no overlap", o: options{noOverlap: true}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			sm, arn, sim := standIns(t)
			arrivals, release := sm.Hold()
			defer release()
			h, warmed, err := setup(t.Context(), Env{Log: &apitest.LogBuffer{}, Getenv: simEnv(sim, arn)}, endpoint.Transient, tt.o)
			if err != nil {
				t.Fatal(err)
			}
			done := make(chan struct{})
			bound := 10 * time.Second // a failure bound, not a speed target
			if tt.hang {
				bound = 200 * time.Millisecond
			}
			go func() { defer close(done); warmed(bound) }()
			if !tt.o.noOverlap {
				<-arrivals
				select {
				case <-done:
					if !tt.hang {
						t.Fatal("init ended while the secret fetch was still held")
					}
				case <-time.After(100 * time.Millisecond):
					if !tt.hang {
						release()
					}
				}
			}
			select {
			case <-done:
			case <-time.After(10 * time.Second):
				t.Fatal("init did not end")
			}
			release()
			// Warm connects without a request: the server has accepted a
			// connection, perhaps a moment after the client's dial returned.
			warmedUp := !tt.o.noOverlap && connected(sim) || sim.Connections() > 0
			if wantCalls := map[bool]int{false: 1, true: 0}[tt.o.noOverlap]; !tt.hang && sm.Calls() != wantCalls {
				t.Errorf("Secrets Manager calls when init ended = %d, want %d", sm.Calls(), wantCalls)
			}
			if warmedUp == tt.o.noOverlap {
				t.Errorf("Plex warmed up by the end of init: %v, want %v", warmedUp, !tt.o.noOverlap)
			}
			ev := apitest.Event{Method: "POST", Path: "/transient-token"}.Authorized().JSON()
			if r := apitest.Invoke(t, t.Context(), h, ev); r.Status != 200 {
				t.Fatalf("got %d %s", r.Status, r.Body)
			}
			if n := sm.Calls(); n != 1 {
				t.Errorf("Secrets Manager calls after the first request = %d, want 1", n)
			}
		})
	}
}

// connected waits for sim to accept a connection; the bound only notices a
// connection that never comes, it is not a speed target.
func connected(sim *plextest.Server) bool {
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
		if sim.Connections() > 0 {
			return true
		}
	}
	return false
}
