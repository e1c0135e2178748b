package secret_test

import (
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/plexauth/plexauth/devtools/motoserver"
	"github.com/plexauth/plexauth/internal/secret"
	"github.com/plexauth/plexauth/internal/secret/secrettest"
)

// TestMoto runs the Store through the real SDK against moto_server, found
// through the environment as in the functions: the one test that proves the
// client against the real protocol (the others, e2e included, use the
// in-process stand-in), and the test of the motoserver runner. One server
// serves every subtest (each on its own secret); the last one stops it. It
// needs no clock: TTL and Grace arithmetic is TestGetTTL's and
// TestGetStaleWithinGrace's, on the bubble's clock (an unreachable
// Secrets Manager included).
func TestMoto(t *testing.T) {
	start := time.Now()
	moto := motoserver.StartServer(t)
	t.Logf("moto_server answered after %v", time.Since(start).Round(time.Millisecond))
	secrettest.SetEnv(t, moto.URL)
	client := envClient(t, noRetryWait)

	newStore := func(t *testing.T, id string) (*secret.Store, *countingAPI) {
		api := counted(client)
		return secret.NewStore(api, id, secret.Options{Grace: 15 * time.Minute, Logger: testLogger(t)}), api
	}

	t.Run("cache hits", func(t *testing.T) {
		arn := motoserver.CreateSecret(t, moto.URL, "plexauth/hits", secretJSON(adminToken))
		if !strings.Contains(arn, ":secret:plexauth/hits") {
			t.Errorf("ARN = %q", arn)
		}
		store, api := newStore(t, arn)
		for range 1000 {
			if v, _, err := store.Get(t.Context()); err != nil || v.PlexToken != adminToken {
				t.Fatalf("Get = (%q, %v)", v.PlexToken, err)
			}
		}
		wantFetches(t, api, 1)
	})

	t.Run("concurrent misses", func(t *testing.T) {
		arn := motoserver.CreateSecret(t, moto.URL, "plexauth/concurrent", secretJSON(adminToken))
		store, api := newStore(t, arn)
		var wg sync.WaitGroup
		errs := make(chan error, 100)
		for range 100 {
			wg.Go(func() {
				if _, _, err := store.Get(t.Context()); err != nil {
					errs <- err
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatalf("Get: %v", err)
		}
		wantFetches(t, api, 1)
	})

	t.Run("rotation", func(t *testing.T) {
		arn := motoserver.CreateSecret(t, moto.URL, "plexauth/rotate", secretJSON(adminToken))
		store, api := newStore(t, arn)
		stale, _, err := store.Get(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		motoserver.PutSecretValue(t, moto.URL, arn, secretJSON(newToken))
		if v, hit, _ := store.Get(t.Context()); !hit || v.PlexToken != adminToken {
			t.Fatalf("Get before Refresh = (%q, hit %v), want the cached old token", v.PlexToken, hit)
		}
		for i := range 3 { // the first fetches; the others find the newer value cached
			v, err := store.Refresh(t.Context(), stale)
			if err != nil || v.PlexToken != newToken {
				t.Fatalf("Refresh %d = (%q, %v), want the rotated token", i, v.PlexToken, err)
			}
			wantFetches(t, api, 2)
		}
		if v, _, _ := store.Get(t.Context()); v.PlexToken != newToken {
			t.Errorf("Get after Refresh = %q", v.PlexToken)
		}
	})

	t.Run("by name", func(t *testing.T) {
		motoserver.CreateSecret(t, moto.URL, "plexauth/plain", adminToken)
		store, _ := newStore(t, "plexauth/plain")
		v, _, err := store.Get(t.Context())
		if err != nil || v.PlexToken != adminToken || len(v.Callers) != 0 {
			t.Fatalf("Get = (%v, %v)", v, err)
		}
	})

	t.Run("errors", func(t *testing.T) {
		motoserver.CreateSecret(t, moto.URL, "plexauth/malformed", `{"plexToken":"`+adminToken+`","callers":{"alice":"`+aliceKey+`"}}`)
		tests := []struct {
			name, id string
			want     error
			wantKind string
		}{
			{"missing secret", "plexauth/missing", secret.ErrUnavailable, "ResourceNotFoundException"},
			{"malformed secret", "plexauth/malformed", secret.ErrMalformed, "malformed"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				store, api := newStore(t, tt.id)
				_, _, err := store.Get(t.Context())
				if !errors.Is(err, tt.want) || secret.Kind(err) != tt.wantKind {
					t.Fatalf("Get: %v (kind %q), want %v (kind %q)", err, secret.Kind(err), tt.want, tt.wantKind)
				}
				wantFetches(t, api, 1)
			})
		}
	})

	// Last: it stops moto.
	t.Run("unreachable", func(t *testing.T) {
		arn := motoserver.CreateSecret(t, moto.URL, "plexauth/unreachable", secretJSON(adminToken))
		warm, warmAPI := newStore(t, arn)
		if _, _, err := warm.Get(t.Context()); err != nil {
			t.Fatal(err)
		}
		moto.Stop()
		moto.Stop() // again: nothing happens
		if resp, err := http.Get(moto.URL + "/moto-api/"); err == nil {
			resp.Body.Close()
			t.Fatal("moto_server still answers after Stop")
		}

		cold, _ := newStore(t, arn)
		if _, _, err := cold.Get(t.Context()); !errors.Is(err, secret.ErrUnavailable) || secret.Kind(err) != "unreachable" {
			t.Fatalf("cold Get: %v (kind %q), want ErrUnavailable, unreachable", err, secret.Kind(err))
		}
		// Within the TTL the warm store answers without asking.
		if v, hit, err := warm.Get(t.Context()); err != nil || !hit || v.PlexToken != adminToken {
			t.Fatalf("warm Get = (%q, hit %v, %v), want the cached value", v.PlexToken, hit, err)
		}
		// Refresh asks, and reports the failure rather than the stale token.
		if _, err := warm.Refresh(t.Context(), secret.Value{PlexToken: adminToken}); !errors.Is(err, secret.ErrUnavailable) || secret.Kind(err) != "unreachable" {
			t.Fatalf("warm Refresh: %v (kind %q), want ErrUnavailable, unreachable", err, secret.Kind(err))
		}
		wantFetches(t, warmAPI, 2)
	})
}
