// Package signinguard holds back plex.tv sign-ins that would get the
// functions' shared egress IP blocked. Plex blocks an address after repeated
// failed sign-ins (code 1031), and every caller signs in from that one
// address, so one caller's wrong passwords would lock every caller out.
//
// A Guard lives in one process (one Lambda container): it is a best-effort
// shield, not a global limit.
package signinguard

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"strings"
	"sync"
	"time"

	"github.com/plexauth/plexauth/pkg/plex"
)

// DefaultMaxTracked bounds each table (logins cooling down, callers'
// rates): an entry takes about 200 bytes, so a full table a few MB.
const DefaultMaxTracked = 10_000

// Limits configure a Guard. A zero cool-down or rate turns that protection off.
type Limits struct {
	LoginCooldown time.Duration // after a wrong password or code, that login waits this long
	BlockCooldown time.Duration // after Plex blocked the address (1031), every sign-in waits this long
	CallerRate    int           // sign-ins per minute per caller
	CallerBurst   int           // sign-ins a caller may make at once (at least 1)
	MaxTracked    int           // logins and callers remembered, each; 0: DefaultMaxTracked
}

// Reason says why a sign-in is held back.
type Reason int

const (
	IPBlocked     Reason = iota + 1 // Plex blocked the address: every sign-in pauses
	LoginCooling                    // this login failed recently
	CallerLimited                   // this caller used up its sign-in rate
)

// Hold is a sign-in held back: why, and how long until it may be tried.
type Hold struct {
	Reason Reason
	Wait   time.Duration
}

// Message explains the hold to the caller; it names neither login nor caller.
func (h Hold) Message() string {
	switch h.Reason {
	case IPBlocked:
		return "all sign-ins are paused after Plex blocked this service's address for repeated failed sign-ins; retry later"
	case LoginCooling:
		return "sign-ins for this login are cooling down after a failed sign-in; retry later"
	default:
		return "this caller's sign-in rate limit is used up; retry later"
	}
}

// Guard decides which sign-ins may go to plex.tv. It is safe for concurrent use.
type Guard struct {
	limits   Limits
	interval time.Duration // between two sign-ins of a caller at the steady rate
	key      []byte        // keys the login hashes: they mean nothing outside this process

	mu          sync.Mutex
	pausedUntil time.Time
	logins      *lru[[sha256.Size]byte] // until when each login cools down
	callers     *lru[string]            // each caller's theoretical arrival time
}

// New returns a Guard enforcing l.
func New(l Limits) *Guard {
	if l.MaxTracked <= 0 {
		l.MaxTracked = DefaultMaxTracked
	}
	l.CallerBurst = max(l.CallerBurst, 1)
	g := &Guard{
		limits:  l,
		key:     []byte(rand.Text()),
		logins:  newLRU[[sha256.Size]byte](l.MaxTracked),
		callers: newLRU[string](l.MaxTracked),
	}
	if l.CallerRate > 0 {
		g.interval = time.Minute / time.Duration(l.CallerRate)
	}
	return g
}

// Admit decides whether caller may send a sign-in for login to plex.tv now.
// If so it counts the sign-in against the caller's rate and returns false;
// the answer must then go to Record. Otherwise it returns the hold, checked
// in the order: address blocked, login cooling down, caller's rate.
func (g *Guard) Admit(caller, login string) (Hold, bool) {
	now := time.Now()
	g.mu.Lock()
	defer g.mu.Unlock()
	if now.Before(g.pausedUntil) {
		return Hold{IPBlocked, g.pausedUntil.Sub(now)}, true
	}
	if g.limits.LoginCooldown > 0 {
		if until, ok := g.logins.get(g.hash(login)); ok && now.Before(until) {
			return Hold{LoginCooling, until.Sub(now)}, true
		}
	}
	if g.interval > 0 {
		// GCRA, a token bucket kept as one time: tat is when the caller's
		// bucket is full again; each sign-in moves it one interval on, and
		// a bucket of CallerBurst allows tat up to (burst-1) intervals ahead.
		tat, _ := g.callers.get(caller)
		tat = later(tat, now)
		if wait := tat.Sub(now) - time.Duration(g.limits.CallerBurst-1)*g.interval; wait > 0 {
			return Hold{CallerLimited, wait}, true
		}
		g.callers.put(caller, tat.Add(g.interval), now)
	}
	return Hold{}, false
}

// Record learns from plex.tv's answer to an admitted sign-in for login. A
// wrong password or code cools the login down; a block pauses everyone; a
// success forgets the login. Anything else (two-factor code required: the
// password was right; a 5xx or timeout: nothing learnt) changes nothing.
func (g *Guard) Record(login string, err error) {
	now := time.Now()
	g.mu.Lock()
	defer g.mu.Unlock()
	switch {
	case err == nil:
		g.logins.delete(g.hash(login))
	case errors.Is(err, plex.ErrIPBlocked):
		if g.limits.BlockCooldown > 0 {
			g.pausedUntil = now.Add(g.limits.BlockCooldown)
		}
	case errors.Is(err, plex.ErrUnauthorized), errors.Is(err, plex.ErrInvalidVerificationCode):
		if g.limits.LoginCooldown > 0 {
			g.logins.put(g.hash(login), now.Add(g.limits.LoginCooldown), now)
		}
	}
}

// hash keys a login's state without keeping the login: plex.tv ignores case
// and a caller may add stray spaces, so neither makes a new login.
func (g *Guard) hash(login string) [sha256.Size]byte {
	m := hmac.New(sha256.New, g.key)
	m.Write([]byte(strings.ToLower(strings.TrimSpace(login))))
	var sum [sha256.Size]byte
	m.Sum(sum[:0])
	return sum
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
