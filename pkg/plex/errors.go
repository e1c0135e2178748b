package plex

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Kinds of failure. An *Error matches exactly one of them with errors.Is.
var (
	ErrInvalidInput            = kind("invalid input")            // rejected before any request (e.g. a bad source)
	ErrNotConfigured           = kind("not configured")           // the Client lacks what the call needs (a ServerURL)
	ErrBadRequest              = kind("bad request")              // 400
	ErrUnauthorized            = kind("unauthorized")             // 401, 403 from a server, 422 "Invalid token"
	ErrTwoFactorRequired       = kind("two-factor code required") // 401 code 1029 to a sign-in
	ErrInvalidVerificationCode = kind("wrong two-factor code")    // 401 code 1028 to a sign-in
	ErrIPBlocked               = kind("ip blocked")               // 401 code 1031 to a sign-in
	ErrNotFound                = kind("not found")                // 404 (e.g. a source the server does not know)
	ErrRateLimited             = kind("rate limited")             // 429
	ErrUpstream                = kind("upstream failure")         // 5xx, unexpected status, unreachable
	ErrMalformedResponse       = kind("malformed response")       // unreadable, oversized or incomplete body
	ErrTimeout                 = kind("timeout")                  // the context's deadline passed
)

// Operations, as Error.Op names them.
const (
	OpTransientToken = "transient token"
	OpSource         = "source"
	OpUser           = "user"
	OpSignIn         = "sign in"
	OpCreatePin      = "create PIN"
	OpCheckPin       = "check PIN"
	OpPing           = "ping"
	OpIdentity       = "identity"
	OpResources      = "resources"
)

type kindError string

func kind(s string) error         { return kindError(s) }
func (k kindError) Error() string { return "plex: " + string(k) }

// Error is a failed Plex operation. Its text never holds a token or password.
type Error struct {
	Op         string        // one of the Op* names above, or "warm"
	Kind       error         // one of the Err* kinds above
	Status     int           // HTTP status Plex answered, 0 if none
	Code       int           // Plex error code (errors[].code), 0 if none
	Message    string        // Plex's own message, secrets removed; never kept for a sign-in
	RetryAfter time.Duration // parsed Retry-After of a 429, 0 if none
	Err        error         // the underlying cause, if any
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("plex: ")
	b.WriteString(e.Op)
	b.WriteString(": ")
	b.WriteString(strings.TrimPrefix(e.Kind.Error(), "plex: "))
	if e.Status != 0 {
		b.WriteString(" (HTTP ")
		b.WriteString(strconv.Itoa(e.Status))
		if e.Code != 0 {
			fmt.Fprintf(&b, ", code %d", e.Code)
		}
		b.WriteString(")")
	}
	if e.Message != "" {
		b.WriteString(": ")
		b.WriteString(e.Message)
	}
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

// Is reports whether target is this error's kind.
func (e *Error) Is(target error) bool { return target == e.Kind }

// Unwrap returns the underlying cause.
func (e *Error) Unwrap() error { return e.Err }
