package plex

import (
	"context"
	"time"
)

// Calls is what the Plex calls made with a context did (see WithCalls).
type Calls struct {
	N       int           // operations called
	Status  int           // the status Plex last answered (after a retry, the one that ended it); 0: none
	Elapsed time.Duration // spent in the calls, retries, waits between them and a pending warm-up included
}

type callsKey struct{}

// WithCalls returns a context in which every operation records into *c, so
// that a caller can log what Plex said, and how long it took, even when the
// call succeeded. The calls and the reading of *c must happen on one
// goroutine, or be synchronised.
func WithCalls(ctx context.Context, c *Calls) context.Context {
	return context.WithValue(ctx, callsKey{}, c)
}

func callsOf(ctx context.Context) *Calls {
	c, _ := ctx.Value(callsKey{}).(*Calls)
	return c
}

func recordStatus(ctx context.Context, code int) {
	if c := callsOf(ctx); c != nil {
		c.Status = code
	}
}

// recordCall counts one operation that started at start.
func recordCall(ctx context.Context, start time.Time) {
	if c := callsOf(ctx); c != nil {
		c.N++
		c.Elapsed += time.Since(start)
	}
}
