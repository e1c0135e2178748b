package signinguard

import (
	"fmt"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/plexauth/plexauth/pkg/plex"
)

var (
	errWrongPassword = &plex.Error{Op: "sign in", Kind: plex.ErrUnauthorized, Status: 401, Code: 1001}
	errWrongCode     = &plex.Error{Op: "sign in", Kind: plex.ErrInvalidVerificationCode, Status: 401, Code: 1028}
	errCodeRequired  = &plex.Error{Op: "sign in", Kind: plex.ErrTwoFactorRequired, Status: 401, Code: 1029}
	errBlocked       = &plex.Error{Op: "sign in", Kind: plex.ErrIPBlocked, Status: 401, Code: 1031}
	errUpstream      = &plex.Error{Op: "sign in", Kind: plex.ErrUpstream, Status: 503}
	errTimeout       = &plex.Error{Op: "sign in", Kind: plex.ErrTimeout}
	errRateLimited   = &plex.Error{Op: "sign in", Kind: plex.ErrRateLimited, Status: 429}
)

var limits = Limits{LoginCooldown: time.Minute, BlockCooldown: 15 * time.Minute, CallerRate: 5, CallerBurst: 5}

// step is one sign-in at a point of the (bubble's) clock: after waiting,
// caller tries login; want is the hold (zero: admitted), and an admitted
// sign-in gets plex.tv's answer.
type step struct {
	wait          time.Duration
	caller, login string
	want          Hold
	answer        error
}

func TestGuard(t *testing.T) {
	admitted := Hold{}
	tests := []struct {
		name   string
		limits Limits
		steps  []step
	}{
		{"wrong password cools the login down", limits, []step{
			{0, "a", "alice", admitted, errWrongPassword},
			{0, "a", "alice", Hold{LoginCooling, time.Minute}, nil},
			{10 * time.Second, "a", "alice", Hold{LoginCooling, 50 * time.Second}, nil},
			{0, "b", "alice", Hold{LoginCooling, 50 * time.Second}, nil},
			{0, "a", "  Alice\t", Hold{LoginCooling, 50 * time.Second}, nil},
			{0, "a", "bob", admitted, nil},
			{50*time.Second - time.Nanosecond, "a", "alice", Hold{LoginCooling, time.Nanosecond}, nil},
			{time.Nanosecond, "a", "alice", admitted, nil},
		}},
		{"wrong code cools the login down", limits, []step{
			{0, "a", "bob", admitted, errWrongCode},
			{30 * time.Second, "a", "bob", Hold{LoginCooling, 30 * time.Second}, nil},
		}},
		{"a new failure starts a new cool-down", limits, []step{
			{0, "a", "alice", admitted, errWrongPassword},
			{time.Minute, "a", "alice", admitted, errWrongPassword},
			{59 * time.Second, "a", "alice", Hold{LoginCooling, time.Second}, nil},
		}},
		{"code required, upstream failures and 429s are no failed sign-in", limits, []step{
			{0, "a", "bob", admitted, errCodeRequired},
			{0, "a", "bob", admitted, errUpstream},
			{0, "a", "bob", admitted, errTimeout},
			{0, "a", "bob", admitted, errRateLimited},
			{0, "a", "bob", admitted, nil},
		}},
		{"blocked pauses everyone", limits, []step{
			{0, "a", "alice", admitted, errBlocked},
			{0, "a", "alice", Hold{IPBlocked, 15 * time.Minute}, nil},
			{time.Minute, "b", "bob", Hold{IPBlocked, 14 * time.Minute}, nil},
			{14 * time.Minute, "b", "bob", admitted, nil},
		}},
		{"the pause comes before a login's cool-down", limits, []step{
			{0, "a", "alice", admitted, errWrongPassword},
			{0, "a", "bob", admitted, errBlocked},
			{0, "a", "alice", Hold{IPBlocked, 15 * time.Minute}, nil},
		}},
		{"caller rate: burst, then one per interval", Limits{CallerRate: 2, CallerBurst: 3}, []step{
			{0, "a", "x", admitted, nil},
			{0, "a", "x", admitted, nil},
			{0, "a", "x", admitted, nil},
			{0, "a", "x", Hold{CallerLimited, 30 * time.Second}, nil},
			{0, "b", "x", admitted, nil},
			{10 * time.Second, "a", "x", Hold{CallerLimited, 20 * time.Second}, nil},
			{20 * time.Second, "a", "x", admitted, nil},
			{0, "a", "x", Hold{CallerLimited, 30 * time.Second}, nil},
			{90 * time.Second, "a", "x", admitted, nil},
			{0, "a", "x", admitted, nil},
			{0, "a", "x", admitted, nil},
			{0, "a", "x", Hold{CallerLimited, 30 * time.Second}, nil},
		}},
		{"held sign-ins use none of the rate", Limits{LoginCooldown: time.Minute, CallerRate: 1, CallerBurst: 2}, []step{
			{0, "a", "alice", admitted, errWrongPassword},
			{0, "a", "alice", Hold{LoginCooling, time.Minute}, nil},
			{0, "a", "alice", Hold{LoginCooling, time.Minute}, nil},
			{0, "a", "bob", admitted, nil},
			{0, "a", "carol", Hold{CallerLimited, time.Minute}, nil},
		}},
		{"a burst below 1 is 1", Limits{CallerRate: 1}, []step{
			{0, "a", "x", admitted, nil},
			{0, "a", "x", Hold{CallerLimited, time.Minute}, nil},
		}},
		{"all off", Limits{}, []step{
			{0, "a", "alice", admitted, errBlocked},
			{0, "a", "alice", admitted, errWrongPassword},
			{0, "a", "alice", admitted, nil},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				g := New(tt.limits)
				for i, s := range tt.steps {
					time.Sleep(s.wait)
					h, held := g.Admit(s.caller, s.login)
					if h != s.want || held != (s.want != Hold{}) {
						t.Fatalf("step %d (%s, %q): Admit = %+v %v, want %+v", i, s.caller, s.login, h, held, s.want)
					}
					if !held {
						g.Record(s.login, s.answer)
					}
				}
			})
		})
	}
}

// TestSuccessClears: a success forgets the login's failure at once, as
// when two sign-ins for one login were in flight together.
func TestSuccessClears(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		g := New(limits)
		g.Admit("a", "alice")
		g.Admit("a", "alice")
		g.Record("alice", errWrongPassword)
		g.Record("alice", nil)
		if h, held := g.Admit("a", "alice"); held {
			t.Errorf("after a success: held %+v", h)
		}
		if n := g.logins.len(); n != 0 {
			t.Errorf("%d logins tracked after a success, want 0", n)
		}
	})
}

func TestMessages(t *testing.T) {
	seen := map[string]bool{}
	for _, r := range []Reason{IPBlocked, LoginCooling, CallerLimited} {
		m := Hold{Reason: r}.Message()
		if m == "" || seen[m] {
			t.Errorf("reason %d: message %q is empty or not its own", r, m)
		}
		seen[m] = true
	}
}

// TestHashed: the guard keeps no login, only hashes keyed per guard.
func TestHashed(t *testing.T) {
	g, other := New(limits), New(limits)
	login := "alice@example.com"
	g.Record(login, errWrongPassword)
	for k := range g.logins.items {
		if string(k[:]) == login || fmt.Sprintf("%x", k) == login {
			t.Error("the login is stored as it is")
		}
	}
	if g.hash(login) == other.hash(login) {
		t.Error("two guards hash a login alike: the hash is not keyed")
	}
	if g.hash(" ALICE@example.com ") != g.hash(login) || g.hash("bob@example.com") == g.hash(login) {
		t.Error("hash: case and spaces must not matter, the login must")
	}
}

// TestBounded: past MaxTracked, the oldest entries go first, expired ones
// before any other.
func TestBounded(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		g := New(Limits{LoginCooldown: time.Minute, CallerRate: 1, CallerBurst: 1, MaxTracked: 3})
		for i := range 5 {
			login := fmt.Sprint("login-", i)
			g.Admit(fmt.Sprint("caller-", i), login)
			g.Record(login, errWrongPassword)
		}
		if g.logins.len() != 3 || g.callers.len() != 3 {
			t.Fatalf("tracked %d logins, %d callers; want 3 each", g.logins.len(), g.callers.len())
		}
		// The two oldest were forgotten; the three newest still cool down.
		for i, want := range []bool{false, false, true, true, true} {
			if h, _ := g.Admit(fmt.Sprint("caller-", i), fmt.Sprint("login-", i)); (h.Reason == LoginCooling) != want {
				t.Errorf("login-%d: hold %+v, want cooling %v", i, h, want)
			}
		}
		// caller-0 and caller-1 were forgotten (so their check above found a
		// full bucket and was admitted); caller-4, still tracked, had used its burst.
		if h, _ := g.Admit("caller-4", "x"); h.Reason != CallerLimited {
			t.Errorf("caller-4: hold %+v, want its rate used up", h)
		}

		// Once expired, entries make room before any live one is dropped.
		time.Sleep(time.Minute)
		g.Record("fresh", errWrongPassword)
		g.Record("fresher", errWrongPassword)
		if g.logins.len() != 2 {
			t.Errorf("tracked %d logins, want the 2 live ones", g.logins.len())
		}
	})
}

func TestDefaults(t *testing.T) {
	g := New(Limits{})
	if g.logins.max != DefaultMaxTracked || g.callers.max != DefaultMaxTracked {
		t.Errorf("MaxTracked 0: tables of %d, %d; want %d", g.logins.max, g.callers.max, DefaultMaxTracked)
	}
}

// TestConcurrent (for -race): many callers and logins at once; every caller
// gets exactly its burst, since the rate does not refill in the bubble.
func TestConcurrent(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		g := New(Limits{LoginCooldown: time.Minute, BlockCooldown: time.Minute, CallerRate: 1, CallerBurst: 4, MaxTracked: 64})
		var mu sync.Mutex
		admitted := map[string]int{}
		var wg sync.WaitGroup
		for c := range 8 {
			for i := range 10 {
				wg.Go(func() {
					caller, login := fmt.Sprint("c", c), fmt.Sprint("l", c, "-", i)
					if _, held := g.Admit(caller, login); held {
						return
					}
					mu.Lock()
					admitted[caller]++
					mu.Unlock()
					g.Record(login, []error{nil, errWrongPassword, errCodeRequired}[i%3])
				})
			}
		}
		wg.Wait()
		for c := range 8 {
			if n := admitted[fmt.Sprint("c", c)]; n != 4 {
				t.Errorf("caller c%d admitted %d times, want its burst of 4", c, n)
			}
		}
		if g.logins.len() > 64 {
			t.Errorf("tracked %d logins, more than the bound", g.logins.len())
		}
	})
}
