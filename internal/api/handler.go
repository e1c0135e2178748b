package api

import (
	"cmp"
	"context"
	"errors"
	"log/slog"
	"runtime/debug"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/plexauth/plexauth/internal/config"
	"github.com/plexauth/plexauth/internal/metrics"
	"github.com/plexauth/plexauth/internal/secret"
	"github.com/plexauth/plexauth/pkg/plex"
)

// DefaultMargin is kept back from the invocation's remaining time so that a
// slow Plex ends in a 504 from us rather than a Lambda timeout.
const DefaultMargin = 500 * time.Millisecond

// Secrets is what a handler needs from the secret store (*secret.Store).
type Secrets interface {
	Get(ctx context.Context) (v secret.Value, hit bool, err error)
	Refresh(ctx context.Context, stale secret.Value) (secret.Value, error)
}

// Op does a route's work for an authenticated, well-formed request: usually
// read fields, make one Plex call and shape the answer. It returns the value
// sent as JSON with status 200, or an error that Handle maps to a status.
type Op func(ctx context.Context, r *Request) (any, error)

// Route is what a handler answers: a path and the methods it takes.
type Route struct {
	Path    string   // "/transient-token", or with a parameter "/pins/{id}": the log line's route
	Methods []string // allowed methods, upper case
	// ScopeName, when set, is the route's scope instead of its path: routes
	// that only make sense together ("POST /pins", "GET /pins/{id}") share one.
	ScopeName string
	Function  string // the function's name, the metrics' Function dimension; "": the scope
}

// Scope is the route's name in a caller's "routes" in the secret: ScopeName,
// or else the path without its leading slash ("transient-token").
func (r Route) Scope() string {
	if r.ScopeName != "" {
		return r.ScopeName
	}
	return strings.TrimPrefix(r.Path, "/")
}

// Shared is what every handler takes besides its Op, the same for all routes.
type Shared struct {
	Secrets Secrets
	Logger  *slog.Logger  // nil: slog.Default()
	Margin  time.Duration // 0: DefaultMargin; negative: none
	// Namespace is the CloudWatch namespace of the request metrics;
	// "": config.DefaultMetricsNamespace.
	Namespace string
}

// Handler serves one route with its Op; NewHandler builds it complete.
type Handler struct {
	route    Route
	op       Op
	shared   Shared
	function string
	meta     [lineKinds]metrics.Metadata // encoded once: the warm path only adds a timestamp
}

// NewHandler is the handler of route, doing op with the shared dependencies s.
func NewHandler(route Route, op Op, s Shared) *Handler {
	ns := cmp.Or(s.Namespace, config.DefaultMetricsNamespace)
	return &Handler{route: route, op: op, shared: s, function: cmp.Or(route.Function, route.Scope()), meta: newMetadata(ns)}
}

// Route is the route h answers.
func (h *Handler) Route() Route { return h.route }

// Handle answers one API Gateway HTTP API (payload 2.0) event. Its error is
// always nil: every problem becomes a JSON error response.
func (h *Handler) Handle(ctx context.Context, ev events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
	start := time.Now()
	r := &Request{
		Method:  strings.ToUpper(ev.RequestContext.HTTP.Method),
		ID:      requestID(ctx, &ev),
		event:   &ev,
		scope:   h.route.Scope(),
		secrets: h.shared.Secrets,
	}
	ctx, cancel := h.withMargin(ctx)
	defer cancel()
	ctx = plex.WithCalls(ctx, &r.plex)

	resp, err := h.serve(ctx, r)
	var e *Error
	if err != nil {
		e = toError(err)
		resp = failure(e, r.ID)
	}
	h.log(ctx, r, resp.StatusCode, e, time.Since(start))
	return resp, nil
}

// serve runs the checks every route shares, in order, then the Op, and
// renders its answer. A panic is answered with 500; its value is not logged
// as it may hold request data.
func (h *Handler) serve(ctx context.Context, r *Request) (resp events.APIGatewayV2HTTPResponse, err error) {
	defer func() {
		if p := recover(); p != nil {
			r.stack = debug.Stack()
			err = internalError(errPanic)
		}
	}()
	if !slices.Contains(h.route.Methods, r.Method) {
		return resp, methodNotAllowed(h.route.Methods)
	}
	if err := h.authenticate(ctx, r); err != nil {
		return resp, err
	}
	if err := r.readParams(); err != nil {
		return resp, err
	}
	v, err := h.op(ctx, r)
	if err != nil {
		return resp, err
	}
	return success(v)
}

var errPanic = errors.New("panic in handler")

// authenticate checks the caller's key against the secret and authorizes the
// route. It fails closed: an unreadable secret is a 503, a secret without
// callers refuses everyone.
func (h *Handler) authenticate(ctx context.Context, r *Request) error {
	key, ok := bearer(r.Header("Authorization"))
	if !ok {
		return unauthorized() // no secret fetch for a request that cannot pass
	}
	if h.shared.Secrets == nil {
		return secret.ErrUnavailable
	}
	v, hit, err := h.shared.Secrets.Get(ctx)
	r.cacheHit = &hit // a failed fetch is a miss too
	if err != nil {
		return err
	}
	r.secret, r.key = v, key
	return r.authorize(v)
}

// bearer extracts the key of "Bearer <key>"; the scheme is case-insensitive.
func bearer(header string) (string, bool) {
	scheme, key, ok := strings.Cut(strings.TrimSpace(header), " ")
	key = strings.TrimSpace(key)
	if !ok || !strings.EqualFold(scheme, "Bearer") || key == "" {
		return "", false
	}
	return key, true
}

func (h *Handler) withMargin(ctx context.Context) (context.Context, context.CancelFunc) {
	deadline, ok := ctx.Deadline()
	margin := h.shared.Margin
	if margin == 0 {
		margin = DefaultMargin
	}
	if !ok || margin < 0 {
		return context.WithCancel(ctx)
	}
	return context.WithDeadline(ctx, deadline.Add(-margin))
}

// requestID prefers the Lambda request id (what CloudWatch shows) and falls
// back to API Gateway's own.
func requestID(ctx context.Context, ev *events.APIGatewayV2HTTPRequest) string {
	if lc, ok := lambdacontext.FromContext(ctx); ok && lc.AwsRequestID != "" {
		return lc.AwsRequestID
	}
	return ev.RequestContext.RequestID
}
