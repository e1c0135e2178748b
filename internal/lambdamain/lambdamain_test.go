package lambdamain

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/plexauth/plexauth/internal/api"
	"github.com/plexauth/plexauth/internal/api/apitest"
	"github.com/plexauth/plexauth/internal/config"
	"github.com/plexauth/plexauth/internal/endpoint"
	"github.com/plexauth/plexauth/internal/secret/secrettest"
	"github.com/plexauth/plexauth/internal/signinguard"
	"github.com/plexauth/plexauth/pkg/plex/plextest"
)

type tokener interface {
	TransientToken(ctx context.Context, token string) (string, error)
}

// newHandler is a transient-token route, as functions/transient builds it.
func newHandler(c tokener) *api.Handler {
	return &api.Handler{Route: "/transient-token", Methods: []string{http.MethodPost},
		Op: func(ctx context.Context, r *api.Request) (any, error) {
			tok, err := api.AsAdmin(ctx, r, c.TransientToken)
			return map[string]string{"token": tok}, err
		}}
}

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

// TestSetup drives the wiring end to end: the real AWS SDK and secret.Store
// against a Secrets Manager stand-in, the real Plex client against the
// simulator, then an admin token rotation.
func TestSetup(t *testing.T) {
	sm := secrettest.NewServer(t)
	secrettest.SetEnv(t, sm.URL)
	arn := sm.Put("plexauth", apitest.SecretJSON(plextest.AdminToken))
	sim := plextest.NewServer()
	t.Cleanup(sim.Close)

	logs := &apitest.LogBuffer{}
	h, err := Setup(t.Context(), Env{Log: logs, Getenv: env(map[string]string{
		config.EnvServerURL:        sim.URL,
		config.EnvPlexTVURL:        sim.URL,
		config.EnvSecretARN:        arn,
		config.EnvClientIdentifier: "plexauth-test",
	})}, ServerHost, newHandler)
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
		host    int // 0 server, 1 plex.tv
		setting string
	}{
		{name: "no secret", unset: config.EnvSecretARN, setting: config.EnvSecretARN},
		{name: "no client identifier", unset: config.EnvClientIdentifier, setting: config.EnvClientIdentifier},
		{name: "no server url", unset: config.EnvServerURL, setting: config.EnvServerURL},
		{name: "bad plex url", set: map[string]string{config.EnvPlexTVURL: "plex.tv"}, host: 1, setting: config.EnvPlexTVURL},
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
			host := ServerHost
			if tt.host == 1 {
				host = PlexTVHost
			}
			_, err := Setup(t.Context(), Env{Getenv: env(m), Log: &apitest.LogBuffer{}}, host, newHandler)
			var ce *config.Error
			if !errors.As(err, &ce) || ce.Setting != tt.setting {
				t.Fatalf("Setup error = %v, want one naming %s", err, tt.setting)
			}
		})
	}
}

// TestSetupWithConfig wires sign-in as functions/signin does: the guard's
// limits come from the environment.
func TestSetupWithConfig(t *testing.T) {
	sm := secrettest.NewServer(t)
	secrettest.SetEnv(t, sm.URL)
	arn := sm.Put("plexauth", apitest.SecretJSON(plextest.AdminToken))
	sim := plextest.NewServer()
	t.Cleanup(sim.Close)
	h, err := SetupWithConfig(t.Context(), Env{Log: &apitest.LogBuffer{}, Getenv: env(map[string]string{
		config.EnvPlexTVURL:         sim.URL,
		config.EnvSecretARN:         arn,
		config.EnvClientIdentifier:  "plexauth-test",
		config.EnvSignInCallerRate:  "1",
		config.EnvSignInCallerBurst: "1",
	})}, PlexTVHost, func(c endpoint.SignInClient, cfg config.Config) *api.Handler {
		return endpoint.SignIn(c, signinguard.New(cfg.SignIn))
	}, Options{})
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

func TestSetupPlexTVOnly(t *testing.T) {
	closed := secrettest.ClosedEndpoint(t) // nothing listens: warm-up and prefetch fail quietly
	secrettest.SetEnv(t, closed)
	type notClient interface {
		Warm(context.Context, int) error
	}
	getenv := env(map[string]string{
		config.EnvSecretARN: "plexauth", config.EnvClientIdentifier: "plexauth-test", config.EnvPlexTVURL: closed,
	})
	h, err := Setup(t.Context(), Env{Getenv: getenv, Log: &apitest.LogBuffer{}}, PlexTVHost, newHandler)
	if err != nil || h.Secrets == nil || h.Logger == nil {
		t.Fatalf("Setup = %v, %v; want a wired handler without a server URL", h, err)
	}
	// An interface *plex.Client does not implement is refused, not a panic.
	_, err = Setup(t.Context(), Env{Getenv: getenv, Log: &apitest.LogBuffer{}}, PlexTVHost,
		func(notClient) *api.Handler { return &api.Handler{} })
	if err == nil {
		t.Error("Setup accepted a handler whose Plex interface the client does not implement")
	}
}

// TestRunInitFailure runs Run in a child process: a bad setting must end it
// with status 1 and one JSON log line naming the setting.
func TestRunInitFailure(t *testing.T) {
	if os.Getenv("LAMBDAMAIN_TEST_RUN") == "1" {
		Run(ServerHost, newHandler)
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
// NoOverlap, the naive path, nothing is fetched or warmed before the first
// request.
func TestColdPathOverlap(t *testing.T) {
	for _, tt := range []struct {
		name string
		o    Options
	}{
		{name: "overlap"},
		{name: "no overlap", o: Options{NoOverlap: true}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			sm := secrettest.NewServer(t)
			secrettest.SetEnv(t, sm.URL)
			arn := sm.Put("plexauth", apitest.SecretJSON(plextest.AdminToken))
			sim := plextest.NewServer()
			t.Cleanup(sim.Close)
			arrivals, release := sm.Hold()
			defer release()

			h, err := SetupWith(t.Context(), Env{Log: &apitest.LogBuffer{}, Getenv: env(map[string]string{
				config.EnvServerURL:        sim.URL,
				config.EnvSecretARN:        arn,
				config.EnvClientIdentifier: "plexauth-test",
			})}, ServerHost, newHandler, tt.o)
			if err != nil {
				t.Fatal(err)
			}
			if !tt.o.NoOverlap {
				// Setup has returned with the fetch held: init did not wait.
				select {
				case <-arrivals:
				case <-time.After(10 * time.Second): // a failure bound, not a speed target
					t.Fatal("init started no secret fetch")
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
			if tt.o.NoOverlap {
				for _, r := range sim.Requests() {
					if r.Path == "/" {
						t.Errorf("the naive path warmed the Plex connection at init")
					}
				}
			}
		})
	}
}
