package plex_test

import (
	"context"
	"testing"

	"github.com/plexauth/plexauth/pkg/plex"
	"github.com/plexauth/plexauth/pkg/plex/plextest"
)

// TestWithStatus checks that the status Plex last answered is recorded,
// success and failure alike, and after a retry the answer that ended it.
func TestWithStatus(t *testing.T) {
	srv := plextest.NewServer()
	defer srv.Close()
	c, err := plex.New(plex.Config{
		ServerURL: srv.URL, PlexTVURL: srv.URL, ClientIdentifier: "status-test",
		Retry: plex.RetryPolicy{MaxAttempts: 2, BaseDelay: 1, MaxDelay: 1},
	})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		fault *plextest.Fault
		call  func(ctx context.Context) error
		want  int
	}{
		{name: "transient token", want: 200, call: func(ctx context.Context) error {
			_, err := c.TransientToken(ctx, plextest.AdminToken)
			return err
		}},
		{name: "sign in", want: 201, call: func(ctx context.Context) error {
			_, err := c.SignIn(ctx, plex.Credentials{Login: plextest.UserLogin, Password: plextest.UserPassword})
			return err
		}},
		{name: "bad token", want: 401, call: func(ctx context.Context) error {
			_, err := c.User(ctx, "not-a-token-0001")
			return err
		}},
		{name: "retried after a 503", fault: &plextest.Fault{Status: 503, Times: 1}, want: 200, call: func(ctx context.Context) error {
			_, err := c.User(ctx, plextest.UserToken)
			return err
		}},
		{name: "no answer", want: 0, call: func(ctx context.Context) error {
			_, err := c.Source(ctx, plextest.AdminToken, plex.SourceQuery{Source: "bad source"})
			return err
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv.Reset()
			if tc.fault != nil {
				srv.SetFault(plextest.RouteUser, *tc.fault)
			}
			var got int
			_ = tc.call(plex.WithStatus(context.Background(), &got))
			if got != tc.want {
				t.Errorf("recorded status %d, want %d", got, tc.want)
			}
			if tc.fault != nil && srv.Count(plextest.RouteUser) != 2 {
				t.Errorf("Plex got %d requests, want the 503 and its retry", srv.Count(plextest.RouteUser))
			}
		})
	}
}
