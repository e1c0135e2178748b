package lambdamain

import (
	"strings"
	"testing"

	"github.com/plexauth/plexauth/internal/api/apitest"
	"github.com/plexauth/plexauth/internal/endpoint"
	"github.com/plexauth/plexauth/internal/secret/secrettest"
	"github.com/plexauth/plexauth/pkg/plex/plextest"
)

// TestSetupScopes runs the real transient-token route on the real store:
// a secret scoping callers to other functions' routes is valid here too, a
// key scoped elsewhere is refused, and a key the rotating edit removes gets
// no retry.
func TestSetupScopes(t *testing.T) {
	const ghKey = "github-key-0001"
	github := apitest.Caller{Name: "github", Key: ghKey}
	sm := secrettest.NewServer(t)
	secrettest.SetEnv(t, sm.URL)
	arn := sm.Put("plexauth", apitest.SecretJSONWith(plextest.AdminToken,
		apitest.Tester.On("token-details"), github.On("transient-token")))
	sim := plextest.NewServer()
	t.Cleanup(sim.Close)

	logs := &apitest.LogBuffer{}
	h, err := Setup(t.Context(), Env{Log: logs, Getenv: simEnv(sim, arn)}, endpoint.Transient)
	if err != nil {
		t.Fatal(err)
	}
	ev := apitest.Event{Method: "POST", Path: "/transient-token"}
	invoke := func(key string, status int, code string) {
		t.Helper()
		r := apitest.Invoke(t, t.Context(), h, ev.With("Authorization", "Bearer "+key).JSON())
		if r.Status != status || r.Error.Code != code {
			t.Fatalf("got %d %s, want %d %q", r.Status, r.Body, status, code)
		}
	}
	invoke(apitest.CallerKey, 403, "forbidden") // scoped to token-details
	invoke(ghKey, 200, "")
	if n := sim.Count(plextest.RouteTransient); n != 1 {
		t.Errorf("Plex calls = %d, want 1 (none for the refused key)", n)
	}

	// One edit rotates the admin token and removes github: Plex rejects the
	// cached token, the refresh brings the new one, and github is refused
	// before any retry.
	sim.SetAdminToken(apitest.RotatedToken)
	sm.Put("plexauth", apitest.SecretJSONWith(apitest.RotatedToken, apitest.Tester.On("token-details")))
	sim.Reset()
	invoke(ghKey, 401, "unauthorized")
	if n := sim.Count(plextest.RouteTransient); n != 1 {
		t.Errorf("Plex calls = %d, want 1 (rejected, not retried)", n)
	}
	if n := sm.Calls(); n != 2 {
		t.Errorf("Secrets Manager calls = %d, want 2 (one refresh)", n)
	}
	for _, s := range []string{plextest.AdminToken, apitest.RotatedToken, apitest.CallerKey, ghKey} {
		if strings.Contains(logs.String(), s) {
			t.Errorf("log holds %q", s)
		}
	}
}
