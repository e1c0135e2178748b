package plex

import "context"

type statusKey struct{}

// WithStatus returns a context in which each answer Plex gives to a call is
// recorded in *status (the last one wins when a call was retried), so that a
// caller can log what Plex said even when the call succeeded. The call and
// the reading of *status must happen on one goroutine, or be synchronised.
func WithStatus(ctx context.Context, status *int) context.Context {
	return context.WithValue(ctx, statusKey{}, status)
}

func recordStatus(ctx context.Context, code int) {
	if p, ok := ctx.Value(statusKey{}).(*int); ok {
		*p = code
	}
}
