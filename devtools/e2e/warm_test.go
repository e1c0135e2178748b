package e2e

import (
	"testing"
	"time"

	"github.com/plexauth/plexauth/internal/secret/secrettest"
	"github.com/plexauth/plexauth/pkg/plex/plextest"
)

// warmInvocations is how many invocations follow the cold one.
const warmInvocations = 1000

// TestWarmInvocationsSkipSecretsManager counts the stand-in's Secrets
// Manager calls: after the cold start's one fetch, warm invocations within
// the TTL make none.
func TestWarmInvocationsSkipSecretsManager(t *testing.T) {
	for _, f := range functions {
		t.Run(f.name, func(t *testing.T) {
			t.Parallel()
			sm := secrettest.NewServer(t)
			arn := sm.Put("plexauth-warm-"+f.name, secretJSON(plextest.AdminToken))
			sim := plextest.NewServer()
			t.Cleanup(sim.Close)
			in := start(t, f, functionEnv(f.name, sim.URL, sm.URL, arn))
			event := authorized(f.ok).JSON()

			if a := in.invoke(t, event); a.Status != f.success() {
				t.Fatalf("cold invocation: got %d %s", a.Status, a.Body)
			}
			// The prefetch at init and the first request share one fetch.
			cold := sm.Calls()
			if cold != 1 {
				t.Errorf("cold start made %d Secrets Manager calls, want 1", cold)
			}
			began := time.Now()
			for i := range warmInvocations {
				res, err := in.srv.Invoke(t.Context(), event, invokeTimeout)
				if err != nil || res.Err != nil {
					t.Fatalf("warm invocation %d: %v %v", i, err, res.Err)
				}
			}
			took := time.Since(began)
			calls := sm.Calls() - cold
			if calls != 0 {
				t.Errorf("%d warm invocations made %d Secrets Manager calls, want 0", warmInvocations, calls)
			}
			t.Logf("%d warm invocations: %d Secrets Manager calls, %v (%v each)",
				warmInvocations, calls, took.Round(time.Millisecond), (took / warmInvocations).Round(time.Microsecond))
		})
	}
}
