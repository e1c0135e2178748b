package api

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/plexauth/plexauth/internal/redact"
	"github.com/plexauth/plexauth/pkg/plex"
)

// log writes the request's one line, which is also its metrics (see
// metrics.go). It holds names, statuses and kinds, and for a 5xx the cause's
// text with the request's secrets removed in every encoding: never a token,
// password, key, login, header value or body.
func (h *Handler) log(ctx context.Context, r *Request, status int, e *Error, d time.Duration) {
	level := slog.LevelInfo
	if status >= 500 {
		level = slog.LevelError
	}
	logger := h.logger()
	if !logger.Enabled(ctx, level) {
		return // and so are its metrics: Lambda would drop the line at this level too
	}
	attrs := make([]slog.Attr, 0, 24)
	// The logger adds requestId from ctx (lambdacontext), as on every line.
	attrs = append(attrs,
		slog.String("route", h.route.Path),
		slog.String("method", r.Method),
		slog.String("caller", r.Caller),
		slog.Int("status", status),
		slog.Int64("duration_ms", d.Milliseconds()),
	)
	if r.cacheHit != nil {
		cache := "miss"
		if *r.cacheHit {
			cache = "hit"
		}
		attrs = append(attrs, slog.String("secretCache", cache))
	}
	if r.refresh != "" {
		attrs = append(attrs, slog.String("secretRefresh", r.refresh))
	}
	plexErr := r.noted
	if e != nil {
		attrs = append(attrs, slog.String("code", e.Code))
		if e.setting != "" {
			attrs = append(attrs, slog.String("setting", e.setting))
		}
		plexErr = e.cause
		if status >= 500 {
			// An error's text may repeat what the caller or Plex sent:
			// redaction runs here, on the rare line that has one.
			if e.cause != nil {
				attrs = append(attrs, slog.String("error", redact.Text(e.cause.Error(), r.redactions()...)))
			}
		}
	}
	plexStatus := r.plex.Status // what Plex last answered, success included
	var pe *plex.Error
	if errors.As(plexErr, &pe) {
		attrs = append(attrs, slog.String("plexKind", kindName(pe.Kind)))
		if plexStatus == 0 {
			plexStatus = pe.Status
		}
		if pe.Code != 0 {
			attrs = append(attrs, slog.Int("plexCode", pe.Code))
		}
	}
	if plexStatus != 0 {
		attrs = append(attrs, slog.Int("plexStatus", plexStatus))
	}
	if r.stack != nil {
		attrs = append(attrs, slog.String("stack", string(r.stack)))
	}
	attrs = h.metricAttrs(attrs, r, status, e, time.Now())
	logger.LogAttrs(ctx, level, "request", attrs...)
}

func (h *Handler) logger() *slog.Logger {
	if h.shared.Logger != nil {
		return h.shared.Logger
	}
	return slog.Default()
}

func kindName(k error) string {
	if k == nil {
		return ""
	}
	return strings.TrimPrefix(k.Error(), "plex: ")
}

// NewLogger is the logger of a function writing to w (cmd/local, tests):
// the lines of aws-lambda-go's lambdacontext handler, which Start uses as it is
// but which writes only to stdout and reads its settings once at process
// start. JSON with Lambda's field names (timestamp, level, message), the
// request id of the ctx it logs with on every line (requestId), and the
// level of getenv("AWS_LAMBDA_LOG_LEVEL"), which Lambda sets from the
// template's LoggingConfig.ApplicationLogLevel (INFO when unset or unknown).
func NewLogger(w io.Writer, getenv func(string) string) *slog.Logger {
	return slog.New(requestIDHandler{slog.NewJSONHandler(w, &slog.HandlerOptions{
		Level:       lambdaLevel(getenv(EnvLambdaLogLevel)),
		ReplaceAttr: lambdacontext.ReplaceAttr,
	})})
}

// EnvLambdaLogLevel is Lambda's application log level, TRACE to FATAL.
const EnvLambdaLogLevel = "AWS_LAMBDA_LOG_LEVEL"

// lambdaLevel reads AWS_LAMBDA_LOG_LEVEL as lambdacontext does.
func lambdaLevel(v string) slog.Level {
	switch v {
	case "TRACE", "DEBUG":
		return slog.LevelDebug
	case "WARN":
		return slog.LevelWarn
	case "ERROR", "FATAL":
		return slog.LevelError
	}
	return slog.LevelInfo
}

// requestIDHandler adds the Lambda request id of the record's ctx, as
// lambdacontext's handler does.
type requestIDHandler struct{ slog.Handler }

func (h requestIDHandler) Handle(ctx context.Context, r slog.Record) error {
	if lc, ok := lambdacontext.FromContext(ctx); ok {
		r.AddAttrs(slog.String("requestId", lc.AwsRequestID))
	}
	return h.Handler.Handle(ctx, r)
}

func (h requestIDHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return requestIDHandler{h.Handler.WithAttrs(attrs)}
}

func (h requestIDHandler) WithGroup(name string) slog.Handler {
	return requestIDHandler{h.Handler.WithGroup(name)}
}
