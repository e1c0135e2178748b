package api

import (
	"context"
	"errors"
	"fmt"

	"github.com/plexauth/plexauth/internal/secret"
	"github.com/plexauth/plexauth/pkg/plex"
)

// AsAdmin makes a Plex call with the admin token. If Plex rejects the token
// (it was rotated in Secrets Manager since it was cached), it refreshes the
// secret once and, when that brought a different token, checks the caller
// again against the fresh value and retries once. It never loops: a token
// that stays rejected is the caller's 403.
func AsAdmin[T any](ctx context.Context, r *Request, call func(ctx context.Context, token string) (T, error)) (T, error) {
	if r.secret.PlexToken == "" {
		var zero T
		return zero, fmt.Errorf("%w: no admin token", secret.ErrMalformed)
	}
	v, err := call(ctx, r.secret.PlexToken)
	if !errors.Is(err, plex.ErrUnauthorized) || r.secrets == nil {
		return v, err
	}
	fresh, rerr := r.secrets.Refresh(ctx, r.secret)
	switch {
	case rerr != nil:
		r.refresh = "failed"
		return v, rerr
	case fresh.PlexToken == "" || fresh.PlexToken == r.secret.PlexToken:
		r.refresh = "unchanged"
		return v, err
	}
	r.refresh = "rotated"
	r.secret = fresh
	// The edit that rotated the token may also have revoked or narrowed this
	// caller's key: the retry must not hand it what the fresh secret refuses.
	if err := r.authorize(fresh); err != nil {
		var zero T
		return zero, err
	}
	return call(ctx, fresh.PlexToken)
}
