package api_test

import (
	"context"
	"testing"
	"testing/synctest"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/plexauth/plexauth/internal/api"
	"github.com/plexauth/plexauth/internal/api/apitest"
	"github.com/plexauth/plexauth/internal/secret"
	"github.com/plexauth/plexauth/internal/secret/secrettest"
)

// The tests below put a real secret.Store behind a handler, so that what the
// store decides is seen as the caller sees it.

// An edit that makes the secret malformed is never ignored: from the first
// fetch that sees it, every request is a 503 until the secret is fixed, in a
// warm container (a good value cached, within the grace) as in a cold one.
func TestSecretMalformedFailsClosed(t *testing.T) {
	const ttl, backoff = 5 * time.Minute, 5 * time.Second
	const malformed = `{"plexToken":`
	for _, warm := range []bool{true, false} {
		name := map[bool]string{true: "warm", false: "cold"}[warm]
		t.Run(name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) { // the store's TTL and Backoff on the bubble's clock
				sm := secrettest.NewInProcess(t)
				first := malformed
				if warm {
					first = apitest.SecretJSON(apitest.AdminToken)
				}
				arn := sm.Put("plexauth", first)
				logger, _ := apitest.NewLogger()
				h := route(echo, "POST")(api.Shared{Logger: logger, Secrets: secret.NewStore(sm.Client(t), arn, secret.Options{
					TTL: ttl, Grace: 15 * time.Minute, Backoff: backoff, Logger: logger})})
				invoke := func(step string, want int) {
					t.Helper()
					r := apitest.Invoke(t, t.Context(), h, post.Authorized().JSON())
					if r.Status != want || (want == 503 && r.Error.Code != "secret_unavailable") {
						t.Fatalf("%s: got %d %s, want %d", step, r.Status, r.Body, want)
					}
				}
				if warm {
					invoke("good secret", 200)
					sm.Put("plexauth", malformed)
					time.Sleep(ttl)
				}
				invoke("malformed", 503)
				for range 3 {
					time.Sleep(time.Second)
					invoke("malformed, within the backoff", 503)
				}
				time.Sleep(backoff)
				invoke("malformed, fetched again", 503)
				sm.Put("plexauth", apitest.SecretJSON(apitest.AdminToken))
				time.Sleep(backoff)
				invoke("fixed", 200)
			})
		})
	}
}

// slowAPI answers GetSecretValue with the test secret after delay, or fails
// when its context ends first.
type slowAPI struct{ delay time.Duration }

func (s slowAPI) GetSecretValue(ctx context.Context, _ *secretsmanager.GetSecretValueInput, _ ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error) {
	select {
	case <-time.After(s.delay):
		return &secretsmanager.GetSecretValueOutput{SecretString: aws.String(apitest.SecretJSON(apitest.AdminToken))}, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// A slow or hanging Secrets Manager is a prompt 503 secret_unavailable,
// within the fetch budget, never a 504 blamed on Plex, and the Op (the Plex
// call) never runs on what is left. The clock is synctest's: the times are
// exact.
func TestSecretFetchBudget(t *testing.T) {
	const invocation = 10 * time.Second // the template's function timeout
	const budget = 2 * time.Second      // the store's default
	tests := []struct {
		name  string
		delay time.Duration // Secrets Manager's answer time
	}{
		// It used to be served after 8 s, leaving Plex 1.5 s: a 504.
		{"slow", 8 * time.Second},
		{"hanging", time.Hour},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				ran := false
				logger, _ := apitest.NewLogger()
				h := route(func(ctx context.Context, r *api.Request) (any, error) {
					ran = true
					<-ctx.Done() // Plex would take longer than what is left
					return nil, ctx.Err()
				}, "POST")(api.Shared{Logger: logger, Secrets: secret.NewStore(slowAPI{tt.delay}, "plexauth", secret.Options{Logger: logger})})

				ctx, cancel := context.WithTimeout(t.Context(), invocation)
				defer cancel()
				start := time.Now()
				r := apitest.Invoke(t, ctx, h, post.Authorized().JSON())
				if r.Status != 503 || r.Error.Code != "secret_unavailable" {
					t.Errorf("got %d %s, want 503 secret_unavailable", r.Status, r.Body)
				}
				if took := time.Since(start); took != budget {
					t.Errorf("answered after %v, want the budget, %v", took, budget)
				}
				if ran {
					t.Error("the Op (the Plex call) ran on what the fetch left of the invocation")
				}
				synctest.Wait()
			})
		})
	}
}
