// Package keepalive is the scheduled check of the admin token and the Plex
// Media Server: it pings plex.tv with the token (which keeps it alive),
// checks the token is valid, asks the server who it is, and writes one line
// per run that is both the run's log line and its CloudWatch metrics (EMF).
package keepalive

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"math"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/plexauth/plexauth/internal/api"
	"github.com/plexauth/plexauth/internal/metrics"
	"github.com/plexauth/plexauth/pkg/plex"
)

// Metric names, as the template's alarms read them.
const (
	MetricTokenValid      = "TokenValid"      // 1 valid, 0 rejected; absent when plex.tv could not say
	MetricServerReachable = "ServerReachable" // 1 when the server answered /identity
	MetricTokenHoursLeft  = "TokenHoursLeft"  // a JWT admin token's hours to its exp; absent for a classic token
	MetricPingLatency     = "PlexTVPingLatency"
	MetricUserLatency     = "PlexTVUserLatency"
	MetricServerLatency   = "ServerIdentityLatency"
)

// Job is the scheduled function's declaration, the counterpart of an
// endpoint.Route: its functions/<Name> folder, and how its Runner is built.
type Job struct {
	Name string
}

// KeepAlive is the one scheduled function.
var KeepAlive = Job{Name: "keepalive"}

// All lists the scheduled functions, beside endpoint.All: the template
// checks and the Makefile's targets follow it.
var All = []Job{KeepAlive}

// Dimensions is the one dimension set of the job's metrics, as the
// template's alarms select them.
func (j Job) Dimensions() metrics.Dimensions {
	return metrics.Dimensions{metrics.FunctionDimension: j.Name}
}

// Plex is the calls a run makes: *plex.Client.
type Plex interface {
	Ping(ctx context.Context, token string) error
	User(ctx context.Context, token string) (*plex.User, error)
	Identity(ctx context.Context) (*plex.ServerIdentity, error)
}

var _ Plex = (*plex.Client)(nil)

// Deps is what a Runner is built from, once per process.
type Deps struct {
	Plex      Plex
	Secrets   api.Secrets
	Logger    *slog.Logger  // for problems besides the run's line; nil: slog.Default()
	Out       io.Writer     // where the run's EMF line goes: the function's stdout
	Namespace string        // CloudWatch namespace
	Warning   time.Duration // a JWT with less than this left is "expiring"
}

// Runner runs the checks; Runner(d) builds it complete.
type Runner struct {
	d   Deps
	now func() time.Time
}

// Runner builds the job's runner from d.
func (j Job) Runner(d Deps) *Runner {
	if d.Logger == nil {
		d.Logger = slog.Default()
	}
	return &Runner{d: d, now: time.Now}
}

// Result is one run's outcome, the fields of its log line. It never holds a
// token: only what the token's kind and expiry say.
type Result struct {
	TokenValid        *bool      `json:"tokenValid"` // nil: plex.tv could not say (5xx, timeout, no secret)
	TokenType         string     `json:"tokenType,omitempty"`
	TokenExpiresAt    *time.Time `json:"tokenExpiresAt,omitempty"` // a JWT's exp claim, unverified
	TokenExpiring     bool       `json:"tokenExpiring"`            // less than the warning left (or past)
	SecretRefresh     string     `json:"secretRefresh,omitempty"`  // "rotated", "unchanged", "failed" after a rejection
	ServerReachable   bool       `json:"serverReachable"`
	MachineIdentifier string     `json:"machineIdentifier,omitempty"`
	ServerVersion     string     `json:"serverVersion,omitempty"`
	PingError         string     `json:"pingError,omitempty"` // Plex error kinds, never messages
	TokenError        string     `json:"tokenError,omitempty"`
	ServerError       string     `json:"serverError,omitempty"`
}

// Handle is the Lambda handler for the EventBridge schedule. A failed check
// is a metric, not an error: an error would make Lambda retry the run.
func (r *Runner) Handle(ctx context.Context, _ events.EventBridgeEvent) (Result, error) {
	return r.Run(ctx), nil
}

// Run makes the checks and writes the run's line.
func (r *Runner) Run(ctx context.Context) Result {
	m := metrics.New(r.d.Namespace, KeepAlive.Dimensions())
	var res Result
	r.checkToken(ctx, m, &res)
	r.checkServer(ctx, m, &res)

	// Written straight to stdout, not through the logger, so that a LogLevel
	// above info cannot drop the metrics the alarms read (missing data is
	// breaching); the field names are the logger's (lambdacontext).
	for k, v := range map[string]any{
		"level": "INFO", "message": "keepalive", "tokenType": res.TokenType, "tokenExpiring": res.TokenExpiring,
		"serverReachable": res.ServerReachable,
	} {
		m.Property(k, v)
	}
	if lc, ok := lambdacontext.FromContext(ctx); ok && lc.AwsRequestID != "" {
		m.Property("requestId", lc.AwsRequestID)
	}
	if res.TokenValid != nil {
		m.Property("tokenValid", *res.TokenValid)
	}
	for k, v := range map[string]string{
		"secretRefresh": res.SecretRefresh, "machineIdentifier": res.MachineIdentifier, "serverVersion": res.ServerVersion,
		"pingError": res.PingError, "tokenError": res.TokenError, "serverError": res.ServerError,
	} {
		if v != "" {
			m.Property(k, v)
		}
	}
	if res.TokenExpiresAt != nil {
		m.Property("tokenExpiresAt", res.TokenExpiresAt.Format(time.RFC3339))
	}
	if err := m.Write(r.d.Out, r.now()); err != nil {
		r.d.Logger.Error("keepalive: writing metrics failed", "error", err.Error())
	}
	return res
}

// checkToken pings and checks the admin token; when plex.tv rejects it, the
// secret is fetched once more (it may have been rotated) and, if that gave
// another token, both are asked again with it.
func (r *Runner) checkToken(ctx context.Context, m *metrics.Set, res *Result) {
	v, _, err := r.d.Secrets.Get(ctx)
	if err == nil && v.PlexToken == "" {
		err = errors.New("no admin token")
	}
	if err != nil {
		res.TokenError = "secret unavailable"
		return
	}
	tok := v.PlexToken
	userErr := r.ask(ctx, m, tok, res)
	if errors.Is(userErr, plex.ErrUnauthorized) {
		fresh, rerr := r.d.Secrets.Refresh(ctx, v)
		switch {
		case rerr != nil:
			res.SecretRefresh = "failed"
		case fresh.PlexToken == "" || fresh.PlexToken == tok:
			res.SecretRefresh = "unchanged"
		default:
			res.SecretRefresh = "rotated"
			tok = fresh.PlexToken
			res.PingError, res.TokenError = "", ""
			userErr = r.ask(ctx, m, tok, res)
		}
	}
	switch {
	case userErr == nil:
		res.TokenValid = ptr(true)
	case errors.Is(userErr, plex.ErrUnauthorized):
		res.TokenValid = ptr(false)
	}
	if res.TokenValid != nil {
		m.Add(MetricTokenValid, metrics.Count, b01(*res.TokenValid))
	}

	kind, exp := plex.InspectToken(tok)
	res.TokenType = kind
	if !exp.IsZero() {
		left := exp.Sub(r.now())
		res.TokenExpiresAt = &exp
		res.TokenExpiring = left < r.d.Warning
		m.Add(MetricTokenHoursLeft, metrics.None, math.Round(left.Hours()*100)/100)
	}
}

// ask pings with tok, then checks it with /api/v2/user; it returns the
// latter's error, which alone says whether the token is valid.
func (r *Runner) ask(ctx context.Context, m *metrics.Set, tok string, res *Result) error {
	start := r.now()
	if err := r.d.Plex.Ping(ctx, tok); err != nil {
		res.PingError = kindOf(err)
	}
	m.Add(MetricPingLatency, metrics.Milliseconds, ms(r.now().Sub(start)))
	start = r.now()
	_, err := r.d.Plex.User(ctx, tok)
	m.Add(MetricUserLatency, metrics.Milliseconds, ms(r.now().Sub(start)))
	if err != nil {
		res.TokenError = kindOf(err)
	}
	return err
}

func (r *Runner) checkServer(ctx context.Context, m *metrics.Set, res *Result) {
	start := r.now()
	id, err := r.d.Plex.Identity(ctx)
	m.Add(MetricServerLatency, metrics.Milliseconds, ms(r.now().Sub(start)))
	if err != nil {
		res.ServerError = kindOf(err)
	} else {
		res.ServerReachable = true
		res.MachineIdentifier, res.ServerVersion = id.MachineIdentifier, id.Version
	}
	m.Add(MetricServerReachable, metrics.Count, b01(res.ServerReachable))
}

// kindOf names a Plex failure by its kind only: Plex's message could hold
// anything, and the line is a log line.
func kindOf(err error) string {
	var pe *plex.Error
	if errors.As(err, &pe) {
		return pe.Kind.Error()
	}
	return "plex: failure"
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func b01(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

func ptr[T any](v T) *T { return &v }
