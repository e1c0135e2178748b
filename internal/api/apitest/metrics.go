package apitest

import (
	"fmt"
	"testing"

	"github.com/plexauth/plexauth/internal/api"
	"github.com/plexauth/plexauth/internal/metrics"
	"github.com/plexauth/plexauth/internal/metrics/metricstest"
)

// CheckMetrics asserts that a request line (raw, and decoded as line) is an
// EMF document holding the request's metrics as the README describes them:
// one Request by Function and StatusClass (and ErrorCode on an error), the
// secret cache's hit or miss when the secret was looked up, and Plex's
// latency in its unit if any. It returns the document.
func CheckMetrics(t testing.TB, raw []byte, line map[string]any, status int) metricstest.Doc {
	t.Helper()
	doc, err := metricstest.Parse(raw)
	if err != nil {
		t.Errorf("request line is not EMF: %v\n%s", err, raw)
		return doc
	}
	fn := metrics.FunctionDimension
	if s, _ := line[fn].(string); s == "" {
		t.Errorf("request line's %s dimension is %v", fn, line[fn])
	}
	req := doc.Metrics[api.MetricRequests]
	if req.Unit != "Count" || req.Value != 1 || !req.Filed(fn) || !req.Filed(fn, api.DimensionStatusClass) {
		t.Errorf("%s = %+v, want Count 1 by %s and by %s, %s", api.MetricRequests, req, fn, fn, api.DimensionStatusClass)
	}
	if want := fmt.Sprintf("%dxx", status/100); line[api.DimensionStatusClass] != want {
		t.Errorf("%s = %v, want %s", api.DimensionStatusClass, line[api.DimensionStatusClass], want)
	}
	code, isErr := line["code"]
	if byCode := req.Filed(fn, api.DimensionErrorCode); byCode != isErr || isErr && line[api.DimensionErrorCode] != code {
		t.Errorf("%s filed by %s: %v, value %v; want it on errors only, as the code %v",
			api.MetricRequests, api.DimensionErrorCode, byCode, line[api.DimensionErrorCode], code)
	}
	hit, okHit := doc.Metrics[api.MetricSecretCacheHit]
	miss, okMiss := doc.Metrics[api.MetricSecretCacheMiss]
	switch cache, looked := line["secretCache"]; {
	case looked != okHit || looked != okMiss:
		t.Errorf("secretCache %v with %s %v and %s %v: want both exactly when the secret was looked up",
			cache, api.MetricSecretCacheHit, okHit, api.MetricSecretCacheMiss, okMiss)
	case looked:
		wantHit := map[any]float64{"hit": 1, "miss": 0}[cache]
		if hit.Value != wantHit || miss.Value != 1-wantHit || hit.Unit != "Count" || miss.Unit != "Count" || !hit.Filed(fn) || !miss.Filed(fn) {
			t.Errorf("secretCache %v: %s %+v, %s %+v", cache, api.MetricSecretCacheHit, hit, api.MetricSecretCacheMiss, miss)
		}
	}
	// Whether Plex was called, the line cannot tell (an Op may fake a Plex
	// error): the handler's tests check that.
	if lat, okLat := doc.Metrics[api.MetricPlexLatency]; okLat && (lat.Unit != "Milliseconds" || lat.Value < 0 || !lat.Filed(fn) || len(lat.Dimensions) != 1) {
		t.Errorf("%s = %+v, want non-negative Milliseconds by %s only", api.MetricPlexLatency, lat, fn)
	}
	for name, m := range doc.Metrics {
		if m.Namespace != req.Namespace {
			t.Errorf("%s in namespace %q, %s in %q", name, m.Namespace, api.MetricRequests, req.Namespace)
		}
	}
	return doc
}
