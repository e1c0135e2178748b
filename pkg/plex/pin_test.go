package plex_test

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"testing"

	"github.com/plexauth/plexauth/pkg/plex"
	"github.com/plexauth/plexauth/pkg/plex/plextest"
	"github.com/plexauth/plexauth/pkg/plex/plextest/contract"
)

var automation = plex.Identity{ClientIdentifier: "plexauth-test-0123456789abcdef", Product: "plexauth (n8n)", DeviceName: "n8n"}

// TestPinContract drives a PIN's life (create, pending, approved, expired,
// unknown, checked under another identifier) through a transport that
// checks each request and answer against the earlier spec's PIN operations.
func TestPinContract(t *testing.T) {
	srv := plextest.NewServer()
	defer srv.Close()
	v := contract.LoadPins(t, srv.URL)
	c := newTestClient(t, srv, v.Transport(t, defaultTransport()))
	ctx := t.Context()

	p, err := c.CreatePin(ctx, automation)
	if err != nil {
		t.Fatal(err)
	}
	if p.ID <= 0 || len(p.Code) < 20 || p.ExpiresIn != plextest.PinLifetime || p.AuthToken != "" || p.ClientIdentifier != automation.ClientIdentifier {
		t.Fatalf("created %+v: want a strong, pending PIN of the automation's identifier", p)
	}
	if got, err := c.CheckPin(ctx, automation, p.ID); err != nil || got.AuthToken != "" {
		t.Fatalf("pending check = %+v, %v", got, err)
	}
	tok, err := srv.ApprovePin(p.Code)
	if err != nil {
		t.Fatal(err)
	}
	got, err := c.CheckPin(ctx, automation, p.ID)
	if err != nil || got.AuthToken != tok {
		t.Fatalf("approved check = %+v, %v; want the approval's token", got, err)
	}
	// The token opens the account (a call outside the PIN spec).
	if u, err := newTestClient(t, srv, defaultTransport()).User(ctx, tok); err != nil || u.Username != plextest.UserLogin {
		t.Fatalf("User(approved token) = %+v, %v", u, err)
	}

	other := automation
	other.ClientIdentifier = "plexauth-test-other"
	for _, tc := range []struct {
		name string
		id   plex.Identity
		pin  int64
	}{
		{"another client identifier", other, p.ID},
		{"unknown", automation, p.ID + 1000},
	} {
		_, err := c.CheckPin(ctx, tc.id, tc.pin)
		var pe *plex.Error
		if !errors.As(err, &pe) || !errors.Is(err, plex.ErrNotFound) || pe.Code != 1020 {
			t.Errorf("%s: %v, want ErrNotFound with code 1020", tc.name, err)
		}
	}
	if err := srv.ExpirePin(p.Code); err != nil {
		t.Fatal(err)
	}
	if _, err := c.CheckPin(ctx, automation, p.ID); !errors.Is(err, plex.ErrNotFound) {
		t.Errorf("expired: %v, want ErrNotFound", err)
	}
	if v.Checked() < 4 {
		t.Errorf("%d answers validated against a body schema, want at least 4", v.Checked())
	}
}

// PIN requests carry the identity they are given, never the client's own,
// and ask for a strong code.
func TestPinIdentityOnTheWire(t *testing.T) {
	srv := plextest.NewServer()
	defer srv.Close()
	c := newTestClient(t, srv, defaultTransport())
	p, err := c.CreatePin(t.Context(), automation)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.CheckPin(t.Context(), plex.Identity{ClientIdentifier: automation.ClientIdentifier}, p.ID); err != nil {
		t.Fatal(err)
	}
	reqs := srv.Requests()
	if len(reqs) != 2 {
		t.Fatalf("%d requests, want 2", len(reqs))
	}
	if q := reqs[0].Query.Get("strong"); q != "true" {
		t.Errorf("create: strong = %q, want true", q)
	}
	for i, want := range []map[string]string{
		{"X-Plex-Client-Identifier": automation.ClientIdentifier, "X-Plex-Product": automation.Product, "X-Plex-Device-Name": automation.DeviceName},
		{"X-Plex-Client-Identifier": automation.ClientIdentifier, "X-Plex-Product": "plexauth-test", "X-Plex-Device-Name": ""},
	} {
		for k, v := range want {
			if got := reqs[i].Header.Get(k); got != v {
				t.Errorf("request %d: %s = %q, want %q", i, k, got, v)
			}
		}
		if reqs[i].Header.Get("X-Plex-Token") != "" {
			t.Errorf("request %d sent a token", i)
		}
	}
}

// A bad identity or PIN id is refused before any request.
func TestPinInvalidInput(t *testing.T) {
	srv := plextest.NewServer()
	defer srv.Close()
	c := newTestClient(t, srv, defaultTransport())
	ctx := context.Background()
	for name, call := range map[string]func() error{
		"no identifier": func() error { _, err := c.CreatePin(ctx, plex.Identity{}); return err },
		"control in product": func() error {
			_, err := c.CreatePin(ctx, plex.Identity{ClientIdentifier: "x", Product: "a\nb"})
			return err
		},
		"control in device": func() error {
			_, err := c.CheckPin(ctx, plex.Identity{ClientIdentifier: "x", DeviceName: "a\x7f"}, 1)
			return err
		},
		"control in client id": func() error { _, err := c.CheckPin(ctx, plex.Identity{ClientIdentifier: "x\ty"}, 1); return err },
		"zero PIN id":          func() error { _, err := c.CheckPin(ctx, automation, 0); return err },
	} {
		if err := call(); !errors.Is(err, plex.ErrInvalidInput) {
			t.Errorf("%s: %v, want ErrInvalidInput", name, err)
		}
	}
	if n := len(srv.Requests()); n != 0 {
		t.Errorf("%d requests sent, want none", n)
	}
}

// The Auth App URL escapes every value into its fragment; real plex.tv's is
// app.plex.tv, a test double's its own /auth.
func TestAuthAppURL(t *testing.T) {
	for _, tc := range []struct{ plexTV, base string }{
		{"https://plex.tv", "https://app.plex.tv/auth#?"},
		{"http://127.0.0.1:9", "http://127.0.0.1:9/auth#?"},
	} {
		c, err := plex.New(plex.Config{PlexTVURL: tc.plexTV, ClientIdentifier: "x"})
		if err != nil {
			t.Fatal(err)
		}
		got := c.AuthAppURL("id&1", "co de", "plexauth (n8n)", "https://example.com/back?a=1&b=2#f")
		frag, ok := strings.CutPrefix(got, tc.base)
		if !ok {
			t.Fatalf("%s: %q does not start with %q", tc.plexTV, got, tc.base)
		}
		q, err := url.ParseQuery(frag)
		if err != nil {
			t.Fatal(err)
		}
		want := url.Values{"clientID": {"id&1"}, "code": {"co de"}, "context[device][product]": {"plexauth (n8n)"},
			"forwardUrl": {"https://example.com/back?a=1&b=2#f"}}
		if q.Encode() != want.Encode() || strings.Count(got, "#") != 1 {
			t.Errorf("%s: fragment %q = %v, want %v", tc.plexTV, frag, q, want)
		}
	}
}
