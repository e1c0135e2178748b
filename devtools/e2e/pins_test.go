package e2e

import (
	"strings"
	"testing"
	"time"

	"github.com/plexauth/plexauth/internal/api/apitest"
	"github.com/plexauth/plexauth/internal/secret/secrettest"
	"github.com/plexauth/plexauth/pkg/plex/plextest"
)

func pinCreated(t *testing.T, a answer) {
	t.Helper()
	var out struct{ ID, Code, AuthURL, QR, ExpiresAt string }
	a.decode(t, &out)
	if out.ID == "" || out.Code == "" || !strings.Contains(out.AuthURL, "code="+out.Code) || out.ExpiresAt == "" {
		t.Errorf("body %s: want an id, a code and its authUrl", a.Body)
	}
}

func pinPoll(id string) apitest.Event {
	return apitest.Event{Method: "GET", Route: "/pins/{id}", Path: "/pins/" + id}
}

// TestPinFlow runs both PIN bootstraps on one secret and simulator: create,
// approve in the simulator, poll until authorized; another caller's poll, a
// forged id and an expired id are refused without a plex.tv call.
func TestPinFlow(t *testing.T) {
	sm := secrettest.NewServer(t)
	sim := plextest.NewServer()
	t.Cleanup(sim.Close)
	arn := sm.Put("plexauth-e2e-pinflow", secretJSON(plextest.AdminToken))
	pins := start(t, function{name: "pins"}, functionEnv("pins", sim.URL, sm.URL, arn))
	// GET /pins/{id} needs a PIN the pins function made: the two run together.
	check := start(t, function{name: "pin"}, functionEnv("pin", sim.URL, sm.URL, arn))

	create := func(t *testing.T) (id, code string) {
		t.Helper()
		a := pins.invoke(t, authorized(apitest.Event{Method: "POST", Path: "/pins"}).JSON())
		var out struct{ ID, Code string }
		a.decode(t, &out)
		if a.Status != 201 || out.ID == "" {
			t.Fatalf("create: %d %s", a.Status, a.Body)
		}
		return out.ID, out.Code
	}
	// poll checks the answer and how many checks reached plex.tv.
	poll := func(t *testing.T, ev apitest.Event, status int, code string, plexChecks int) answer {
		t.Helper()
		before := sim.Count(plextest.RoutePin)
		a := check.invoke(t, ev.JSON())
		if a.Status != status || a.Error.Code != code {
			t.Fatalf("poll: %d %q, want %d %q; body %s", a.Status, a.Error.Code, status, code, a.Body)
		}
		if got := sim.Count(plextest.RoutePin) - before; got != plexChecks {
			t.Errorf("plex.tv got %d PIN checks, want %d", got, plexChecks)
		}
		return a
	}

	id, code := create(t)
	var token string
	t.Run("pending, approved, authorized", func(t *testing.T) {
		a := poll(t, authorized(pinPoll(id)), 200, "", 1)
		if !strings.Contains(a.Body, `"status":"pending"`) {
			t.Errorf("first poll: %s, want pending", a.Body)
		}
		poll(t, authorized(pinPoll(id)), 429, "rate_limited", 0) // sooner than 2 s
		var err error
		if token, err = sim.ApprovePin(code); err != nil {
			t.Fatal(err)
		}
		time.Sleep(2 * time.Second) // the polling interval, as a caller waits it
		a = poll(t, authorized(pinPoll(id)), 200, "", 1)
		var out struct {
			Status, AuthToken string
			User              struct{ Username string }
		}
		a.decode(t, &out)
		if out.Status != "authorized" || out.AuthToken != token || out.User.Username != plextest.UserLogin {
			t.Errorf("after approval: %s, want authorized with the token and alice", a.Body)
		}
	})
	t.Run("another caller's id", func(t *testing.T) {
		poll(t, pinPoll(id).With("Authorization", "Bearer "+localKey), 404, "pin_not_found", 0)
	})
	t.Run("forged id", func(t *testing.T) {
		forged := []byte(id)
		forged[len(forged)-3] ^= 1
		poll(t, authorized(pinPoll(string(forged))), 404, "pin_not_found", 0)
		poll(t, authorized(pinPoll("not-an-id")), 404, "pin_not_found", 0)
	})
	t.Run("expired id", func(t *testing.T) {
		sim.SetPinLifetime(time.Second)
		short, _ := create(t)
		time.Sleep(1100 * time.Millisecond) // the id's expiry, bound in it, passes
		poll(t, authorized(pinPoll(short)), 410, "pin_expired", 0)
	})
	t.Run("expired at plex.tv", func(t *testing.T) {
		sim.SetPinLifetime(plextest.PinLifetime)
		id, code := create(t)
		if err := sim.ExpirePin(code); err != nil {
			t.Fatal(err)
		}
		poll(t, authorized(pinPoll(id)), 410, "pin_expired", 1)
	})
	t.Run("logs", func(t *testing.T) {
		secrets := []string{plextest.AdminToken, ciKey, localKey, plextest.UserLogin, plextest.UserEmail, token}
		for name, in := range map[string]*instance{"pins": pins, "pin": check} {
			t.Run(name, func(t *testing.T) { in.checkLogs(t, secrets...) })
		}
	})
}
