package api

import (
	"log/slog"
	"time"

	"github.com/plexauth/plexauth/internal/metrics"
)

// The request line is also the request's CloudWatch metrics, in the
// embedded metric format: one line per request, whatever it did, so the
// log and the metrics cannot disagree. Dimensions stay few and bounded: the
// function, the status class and the error code (one of the Code constants,
// never anything a caller or Plex sent); nothing per caller.
const (
	MetricRequests        = "Requests"        // Count, 1 per request: by Function, StatusClass, ErrorCode
	MetricPlexLatency     = "PlexLatency"     // Milliseconds spent in Plex calls (retries included), when one was made
	MetricSecretCacheHit  = "SecretCacheHit"  // Count, 1 when the secret came from the cache, else 0
	MetricSecretCacheMiss = "SecretCacheMiss" // Count, 1 when it was fetched (or the fetch failed), else 0

	DimensionStatusClass = "StatusClass" // "2xx", "4xx", "5xx"
	DimensionErrorCode   = "ErrorCode"   // the error envelope's code; only on errors
)

// Which metrics a line holds: each combination has its metadata.
const (
	lineError = 1 << iota
	linePlex
	lineSecret
	lineKinds
)

// newMetadata encodes the directives of every kind of line in namespace.
func newMetadata(namespace string) (m [lineKinds]metrics.Metadata) {
	fn := metrics.FunctionDimension
	for kind := range m {
		requests := metrics.Directive{Namespace: namespace,
			Dimensions: [][]string{{fn}, {fn, DimensionStatusClass}},
			Metrics:    []metrics.Metric{{Name: MetricRequests, Unit: metrics.Count}}}
		if kind&lineError != 0 {
			requests.Dimensions = append(requests.Dimensions, []string{fn, DimensionErrorCode})
		}
		ds := []metrics.Directive{requests}
		// The others by function only: a latency or cache ratio per status
		// class would multiply the metrics for little insight.
		other := metrics.Directive{Namespace: namespace, Dimensions: [][]string{{fn}}}
		if kind&linePlex != 0 {
			other.Metrics = append(other.Metrics, metrics.Metric{Name: MetricPlexLatency, Unit: metrics.Milliseconds})
		}
		if kind&lineSecret != 0 {
			other.Metrics = append(other.Metrics, metrics.Metric{Name: MetricSecretCacheHit, Unit: metrics.Count},
				metrics.Metric{Name: MetricSecretCacheMiss, Unit: metrics.Count})
		}
		if len(other.Metrics) > 0 {
			ds = append(ds, other)
		}
		m[kind] = metrics.NewMetadata(ds...)
	}
	return m
}

// metricAttrs appends the request's dimensions, metrics and metadata.
func (h *Handler) metricAttrs(attrs []slog.Attr, r *Request, status int, e *Error, now time.Time) []slog.Attr {
	kind := 0
	attrs = append(attrs, slog.String(metrics.FunctionDimension, h.function),
		slog.String(DimensionStatusClass, statusClass(status)), slog.Int(MetricRequests, 1))
	if e != nil {
		kind |= lineError
		attrs = append(attrs, slog.String(DimensionErrorCode, e.Code))
	}
	if r.plex.N > 0 {
		kind |= linePlex
		attrs = append(attrs, slog.Float64(MetricPlexLatency, float64(r.plex.Elapsed)/float64(time.Millisecond)))
	}
	if r.cacheHit != nil {
		kind |= lineSecret
		hit := b01(*r.cacheHit)
		attrs = append(attrs, slog.Int(MetricSecretCacheHit, hit), slog.Int(MetricSecretCacheMiss, 1-hit))
	}
	return append(attrs, h.meta[kind].Attr(now))
}

func statusClass(status int) string {
	switch {
	case status < 300:
		return "2xx"
	case status < 500:
		return "4xx"
	}
	return "5xx"
}

func b01(b bool) int {
	if b {
		return 1
	}
	return 0
}
