package plex

import (
	"context"
	"errors"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// nextWait says whether the failure e of the given attempt may be retried,
// and after how long. No retry starts whose wait would outlive ctx's deadline:
// the caller is better served by the error than by a doomed attempt.
func (c *Client) nextWait(ctx context.Context, r *call, attempt int, e *Error) (time.Duration, bool) {
	limit, ok := c.retry.MaxAttempts, retryable(e)
	if r.signIn {
		// A sign-in plex.tv may have seen counts towards its IP block.
		limit, ok = min(limit, 2), neverSent(e.Err)
	}
	if attempt >= limit || !ok {
		return 0, false
	}
	wait := e.RetryAfter
	switch {
	case wait == 0:
		wait = c.jitter(c.backoff(attempt))
	case wait > c.retry.MaxDelay:
		return 0, false
	}
	if deadline, has := ctx.Deadline(); has && wait >= time.Until(deadline) {
		return 0, false
	}
	return wait, true
}

// backoff is the ceiling of the wait after the given attempt:
// BaseDelay doubled per attempt, capped at MaxDelay.
func (c *Client) backoff(attempt int) time.Duration {
	d := c.retry.BaseDelay
	for i := 1; i < attempt && d < c.retry.MaxDelay; i++ {
		d *= 2
	}
	return min(d, c.retry.MaxDelay)
}

func retryable(e *Error) bool {
	switch e.Kind {
	case ErrRateLimited:
		return true
	case ErrUpstream:
		switch e.Status {
		case 0, // no answer: the connection failed
			http.StatusInternalServerError, http.StatusBadGateway,
			http.StatusServiceUnavailable, http.StatusGatewayTimeout:
			return true
		}
	}
	return false
}

// neverSent reports whether err happened while dialing, before any byte of
// the request was written.
func neverSent(err error) bool {
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "dial"
}

// parseRetryAfter reads Retry-After as seconds or as an HTTP date; 0 when
// absent, unreadable or already past.
func parseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if s, err := strconv.ParseUint(v, 10, 32); err == nil {
		return time.Duration(s) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}
