package config

import (
	"strconv"
	"time"

	"github.com/plexauth/plexauth/internal/signinguard"
)

// The sign-in guard's settings (internal/signinguard). Every function reads
// them, like every other setting; only the sign-in function uses them.
const (
	EnvSignInLoginCooldown = "SIGNIN_LOGIN_COOLDOWN"
	EnvSignInBlockCooldown = "SIGNIN_BLOCK_COOLDOWN"
	EnvSignInCallerRate    = "SIGNIN_CALLER_RATE"
	EnvSignInCallerBurst   = "SIGNIN_CALLER_BURST"
)

// Defaults of the sign-in guard. Plex publishes neither how many failures
// block an address nor for how long, so they are chosen to keep failures
// rare while a person fixing a typo or a two-factor flow is never held up.
const (
	// A minute per login: time to fix a typo, while a script looping on a
	// wrong password tries once a minute instead of as fast as it can.
	DefaultSignInLoginCooldown = time.Minute
	// A quarter of an hour once Plex blocked the address: retrying while
	// blocked can only prolong the block, and one probe each 15 minutes
	// costs nothing yet notices the end of the block soon enough.
	DefaultSignInBlockCooldown = 15 * time.Minute
	// Five a minute per caller, five at once: a two-factor sign-in takes two
	// calls, so a burst of five covers one with a mistyped code or two, and
	// one every 12 seconds is plenty for an automation signing in.
	DefaultSignInCallerRate  = 5
	DefaultSignInCallerBurst = 5
)

// loadSignIn reads the guard's limits; a zero cool-down or rate turns that
// protection off, so each is a duration or number at least 0.
func loadSignIn(get func(string) string) (signinguard.Limits, error) {
	l := signinguard.Limits{
		LoginCooldown: DefaultSignInLoginCooldown,
		BlockCooldown: DefaultSignInBlockCooldown,
		CallerRate:    DefaultSignInCallerRate,
		CallerBurst:   DefaultSignInCallerBurst,
	}
	for _, s := range []struct {
		name string
		d    *time.Duration
	}{{EnvSignInLoginCooldown, &l.LoginCooldown}, {EnvSignInBlockCooldown, &l.BlockCooldown}} {
		d, err := duration(get, s.name, *s.d, true, "must be a Go duration such as 1m, or 0 to turn it off")
		if err != nil {
			return signinguard.Limits{}, err
		}
		*s.d = d
	}
	for _, s := range []struct {
		name    string
		n       *int
		least   int
		problem string
	}{
		{EnvSignInCallerRate, &l.CallerRate, 0, "must be a whole number of sign-ins per minute, or 0 to turn the limit off"},
		{EnvSignInCallerBurst, &l.CallerBurst, 1, "must be a whole number of sign-ins of at least 1"},
	} {
		if raw := get(s.name); raw != "" {
			n, err := strconv.Atoi(raw)
			if err != nil || n < s.least || n > maxSignInCount {
				return signinguard.Limits{}, &Error{Setting: s.name, Problem: s.problem + " (at most " + strconv.Itoa(maxSignInCount) + ")"}
			}
			*s.n = n
		}
	}
	return l, nil
}

// maxSignInCount bounds the rate and burst well below where their
// arithmetic (a minute divided by the rate) would lose meaning.
const maxSignInCount = 1_000_000
