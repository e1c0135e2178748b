package plex_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/plexauth/plexauth/internal/redact/redacttest"
	"github.com/plexauth/plexauth/pkg/plex"
	"github.com/plexauth/plexauth/pkg/plex/plextest"
)

// TestEchoedSecretsRedacted: whatever a Plex error repeats of the request, in
// any encoding, JSON or XML, 5xx or 4xx, no secret is left in the error's
// text; a sign-in keeps no message at all, only status and code.
func TestEchoedSecretsRedacted(t *testing.T) {
	srv := plextest.NewServer()
	defer srv.Close()
	c, err := plex.New(plex.Config{ServerURL: srv.URL, PlexTVURL: srv.URL, ClientIdentifier: "echo-test",
		HTTPClient: srv.Client(), Retry: plex.RetryPolicy{MaxAttempts: 1}})
	if err != nil {
		t.Fatal(err)
	}
	type opCase struct {
		route plextest.Route
		run   func(ctx context.Context, secret string) error
	}
	ops := map[string]opCase{
		"transient": {plextest.RouteTransient, func(ctx context.Context, s string) error { _, err := c.TransientToken(ctx, s); return err }},
		"source": {plextest.RouteResources, func(ctx context.Context, s string) error {
			_, err := c.Source(ctx, s, plex.SourceQuery{Source: plextest.ServerSource})
			return err
		}},
		"user": {plextest.RouteUser, func(ctx context.Context, s string) error { _, err := c.User(ctx, s); return err }},
		"signin": {plextest.RouteSignIn, func(ctx context.Context, s string) error {
			_, err := c.SignIn(ctx, plex.Credentials{Login: s, Password: s, VerificationCode: s})
			return err
		}},
	}
	secrets := append(append([]string{}, redacttest.Passwords...), redacttest.Tokens...)
	for name, op := range ops {
		for _, status := range []int{500, 503, 400, 401, 403, 429} {
			for _, xml := range []bool{false, true} {
				t.Run(fmt.Sprintf("%s/%d/xml=%v", name, status, xml), func(t *testing.T) {
					for _, s := range secrets {
						srv.SetFault(op.route, plextest.Fault{Status: status, Echo: true, XML: xml})
						err := op.run(t.Context(), s)
						var e *plex.Error
						if !errors.As(err, &e) || e.Status != status {
							t.Fatalf("secret %q: got %v, want a *plex.Error with status %d", s, err, status)
						}
						if form, ok := redacttest.Leak(err.Error(), s); ok {
							t.Errorf("error %q holds %q", err, form)
						}
						if name == "signin" && e.Message != "" {
							t.Errorf("sign-in error kept Plex's message %q", e.Message)
						}
						if name != "signin" && e.Message == "" {
							t.Errorf("error %q: want Plex's message kept, secrets removed", err)
						}
						if status == 401 && e.Code != 1001 {
							t.Errorf("code = %d, want 1001 kept", e.Code)
						}
					}
				})
			}
		}
	}
}
