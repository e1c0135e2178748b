package secret_test

import (
	"context"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/plexauth/plexauth/internal/api/apitest"
	"github.com/plexauth/plexauth/internal/secret"
	"github.com/plexauth/plexauth/internal/secret/secrettest"
)

// TestLogsHoldNoSecrets drives every scenario with one JSON logger at debug
// level, also logging each returned value and error as a handler would, and
// then looks for any secret in the output.
func TestLogsHoldNoSecrets(t *testing.T) {
	// out is written by the Stores' fetch goroutines and read at the end.
	logger, out := apitest.NewLogger()
	logResult := func(v secret.Value, err error) {
		logger.Info("result", "value", v, "err", err, "kind", secret.Kind(err))
	}
	raw := secretJSON(adminToken)
	malformedRaw := `{"plexToken":"` + adminToken + `","callers":{"alice":"` + aliceKey + `"}}`

	scenarios := []struct {
		name string
		run  func(t *testing.T, sm *secrettest.Server, newStore func(secret.API, string) *secret.Store)
	}{
		{"fetch, hits, rotation", func(t *testing.T, sm *secrettest.Server, newStore func(secret.API, string) *secret.Store) {
			s := newStore(sm.Client(t, noRetryWait), sm.Put(secretName, raw))
			s.Prefetch()
			for range 3 {
				v, _, err := s.Get(t.Context())
				logResult(v, err)
			}
			sm.Put(secretName, secretJSON(newToken))
			old, _, _ := s.Get(t.Context())
			logResult(s.Refresh(t.Context(), old))
		}},
		{"stale within grace, then gone", func(t *testing.T, sm *secrettest.Server, newStore func(secret.API, string) *secret.Store) {
			s := newStore(sm.Client(t, noRetryWait), sm.Put(secretName, raw))
			s.Get(t.Context())
			sm.SetFault(secrettest.Fault{Type: "AccessDeniedException"})
			for _, d := range []time.Duration{6 * time.Minute, 10 * time.Second, 20 * time.Minute} {
				time.Sleep(d)
				v, _, err := s.Get(t.Context())
				logResult(v, err)
			}
		}},
		{"malformed new version while cached", func(t *testing.T, sm *secrettest.Server, newStore func(secret.API, string) *secret.Store) {
			s := newStore(sm.Client(t, noRetryWait), sm.Put(secretName, raw))
			s.Get(t.Context())
			sm.Put(secretName, malformedRaw)
			time.Sleep(6 * time.Minute)
			v, _, err := s.Get(t.Context())
			logResult(v, err)
		}},
		{"malformed", func(t *testing.T, sm *secrettest.Server, newStore func(secret.API, string) *secret.Store) {
			for _, bad := range []string{malformedRaw, `{"plexToken":"` + adminToken, adminToken + " " + aliceKey} {
				v, _, err := newStore(sm.Client(t, noRetryWait), sm.Put(secretName, bad)).Get(t.Context())
				logResult(v, err)
			}
		}},
		{"undecodable response", func(t *testing.T, sm *secrettest.Server, newStore func(secret.API, string) *secret.Store) {
			// The SDK's decoding errors can quote a string of the response.
			for _, body := range []string{
				`{"SecretString":"` + adminToken + `" ` + aliceKey + `}`,
				`{"Name":"x","VersionStages":"` + adminToken + `"}`,
			} {
				sm.SetFault(secrettest.Fault{Raw: body})
				v, _, err := newStore(sm.Client(t, noRetryWait), sm.Put(secretName, raw)).Get(t.Context())
				logResult(v, err)
			}
		}},
		{"missing", func(t *testing.T, sm *secrettest.Server, newStore func(secret.API, string) *secret.Store) {
			v, _, err := newStore(sm.Client(t, noRetryWait), "plexauth/missing").Get(t.Context())
			logResult(v, err)
		}},
		{"unreachable", func(t *testing.T, sm *secrettest.Server, newStore func(secret.API, string) *secret.Store) {
			v, _, err := newStore(secrettest.NewClient(t, secrettest.ClosedEndpoint(t), noRetryWait), secretName).Get(t.Context())
			logResult(v, err)
		}},
		{"client panics with the value", func(t *testing.T, sm *secrettest.Server, newStore func(secret.API, string) *secret.Store) {
			v, _, err := newStore(apiFunc(func(context.Context, *secretsmanager.GetSecretValueInput, ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error) {
				panic(raw)
			}), secretName).Get(t.Context())
			logResult(v, err)
		}},
	}
	for _, sc := range scenarios {
		// In a bubble: the stand-in in process, time.Sleep moves the TTL on.
		t.Run(sc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				sc.run(t, secrettest.NewInProcess(t), func(api secret.API, id string) *secret.Store {
					return secret.NewStore(api, id, secret.Options{Grace: 15 * time.Minute, Logger: logger})
				})
			})
		})
	}

	logged := out.String()
	forbidden := append([]string{raw, malformedRaw, hashOf(aliceKey)[7:], hashOf(bobKey)[7:]}, secretStrings...)
	for _, s := range forbidden {
		if strings.Contains(logged, s) {
			t.Errorf("the logs hold a secret (%.12s…)", s)
		}
	}
	// The scenarios did happen and were logged.
	for _, want := range []string{
		`"message":"secret fetched"`,
		`"message":"secret fetch failed; serving the cached value"`,
		`"message":"secret fetch failed; no usable cached value"`,
		`"message":"serving a stale secret: Secrets Manager cannot be reached"`, `"age_ms":`,
		`"message":"secret malformed; every request fails until it is fixed"`,
		`"kind":"AccessDeniedException"`, `"kind":"ResourceNotFoundException"`, `"kind":"malformed"`,
		`"kind":"unreachable"`, `"kind":"bad response"`, `"kind":"failed"`,
	} {
		if !strings.Contains(logged, want) {
			t.Errorf("the logs lack %s", want)
		}
	}
	if t.Failed() {
		t.Logf("logs:\n%s", logged)
	}
}
