package metrics_test

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/plexauth/plexauth/internal/metrics"
	"github.com/plexauth/plexauth/internal/metrics/metricstest"
)

// emf is the embedded metric format's document, as CloudWatch reads it.
type emf struct {
	AWS struct {
		Timestamp         int64 `json:"Timestamp"`
		CloudWatchMetrics []struct {
			Namespace  string     `json:"Namespace"`
			Dimensions [][]string `json:"Dimensions"`
			Metrics    []struct {
				Name string `json:"Name"`
				Unit string `json:"Unit"`
			} `json:"Metrics"`
		} `json:"CloudWatchMetrics"`
	} `json:"_aws"`
}

func TestWrite(t *testing.T) {
	at := time.Date(2026, 1, 2, 3, 4, 5, 6e6, time.UTC)
	tests := []struct {
		name  string
		dims  metrics.Dimensions
		add   func(*metrics.Set)
		units map[string]string
		vals  map[string]float64
		props map[string]any
	}{
		{
			name: "several metrics with units",
			dims: metrics.Dimensions{"Function": "keepalive", "Stage": "prod"},
			add: func(s *metrics.Set) {
				s.Add("TokenValid", metrics.Count, 1)
				s.Add("PlexTVLatency", metrics.Milliseconds, 42.5)
				s.Property("machineIdentifier", "abc")
			},
			units: map[string]string{"TokenValid": "Count", "PlexTVLatency": "Milliseconds"},
			vals:  map[string]float64{"TokenValid": 1, "PlexTVLatency": 42.5},
			props: map[string]any{"machineIdentifier": "abc", "Function": "keepalive", "Stage": "prod"},
		},
		{
			name: "a name added twice keeps the last value",
			add: func(s *metrics.Set) {
				s.Add("ServerReachable", metrics.Count, 1)
				s.Add("ServerReachable", metrics.Count, 0)
			},
			units: map[string]string{"ServerReachable": "Count"},
			vals:  map[string]float64{"ServerReachable": 0},
		},
		{
			name: "a property cannot overwrite a metric, a dimension or _aws",
			dims: metrics.Dimensions{"Function": "keepalive"},
			add: func(s *metrics.Set) {
				s.Add("TokenValid", metrics.Count, 1)
				s.Property("TokenValid", "yes")
				s.Property("Function", "other")
				s.Property("_aws", "x")
			},
			units: map[string]string{"TokenValid": "Count"},
			vals:  map[string]float64{"TokenValid": 1},
			props: map[string]any{"Function": "keepalive"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := metrics.New("plexauth/test", tt.dims)
			tt.add(s)
			var buf bytes.Buffer
			if err := s.Write(&buf, at); err != nil {
				t.Fatal(err)
			}
			line := buf.String()
			if strings.Count(line, "\n") != 1 || !strings.HasSuffix(line, "\n") {
				t.Fatalf("want one line ending in a newline, got %q", line)
			}
			if _, err := metricstest.Parse(buf.Bytes()); err != nil {
				t.Errorf("not EMF: %v\n%s", err, line)
			}
			var doc emf
			if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
				t.Fatal(err)
			}
			var top map[string]any
			_ = json.Unmarshal(buf.Bytes(), &top)
			if doc.AWS.Timestamp != at.UnixMilli() {
				t.Errorf("Timestamp = %d, want %d", doc.AWS.Timestamp, at.UnixMilli())
			}
			if len(doc.AWS.CloudWatchMetrics) != 1 {
				t.Fatalf("CloudWatchMetrics = %+v, want one directive", doc.AWS.CloudWatchMetrics)
			}
			d := doc.AWS.CloudWatchMetrics[0]
			if d.Namespace != "plexauth/test" {
				t.Errorf("Namespace = %q", d.Namespace)
			}
			if len(d.Dimensions) != 1 || len(d.Dimensions[0]) != len(tt.dims) {
				t.Errorf("Dimensions = %v, want one set of %d", d.Dimensions, len(tt.dims))
			}
			for _, k := range d.Dimensions[0] {
				if top[k] != tt.dims[k] {
					t.Errorf("dimension %s = %v, want %q at the top level", k, top[k], tt.dims[k])
				}
			}
			if len(d.Metrics) != len(tt.units) {
				t.Errorf("Metrics = %+v, want %d", d.Metrics, len(tt.units))
			}
			for _, m := range d.Metrics {
				if m.Unit != tt.units[m.Name] {
					t.Errorf("metric %s: Unit = %q, want %q", m.Name, m.Unit, tt.units[m.Name])
				}
				if v, ok := top[m.Name].(float64); !ok || v != tt.vals[m.Name] {
					t.Errorf("metric %s: value = %v, want %v", m.Name, top[m.Name], tt.vals[m.Name])
				}
			}
			for k, want := range tt.props {
				if top[k] != want {
					t.Errorf("field %s = %v, want %v", k, top[k], want)
				}
			}
		})
	}
}

func TestNewCopiesDimensions(t *testing.T) {
	dims := metrics.Dimensions{"Function": "a"}
	s := metrics.New("ns", dims)
	dims["Function"] = "b"
	b, _ := s.Line(time.Unix(0, 0))
	if !strings.Contains(string(b), `"Function":"a"`) {
		t.Errorf("line %s: the caller's later edit leaked in", b)
	}
}

// TestMetadata: a JSON slog line with the metadata's attribute and the
// declared members is an EMF document, the directives as declared, and the
// metadata can be reused at another time.
func TestMetadata(t *testing.T) {
	meta := metrics.NewMetadata(
		metrics.Directive{Namespace: "plexauth/test", Dimensions: [][]string{{"Function"}, {"Function", "StatusClass"}},
			Metrics: []metrics.Metric{{Name: "Requests", Unit: metrics.Count}}},
		metrics.Directive{Namespace: "plexauth/test", Dimensions: [][]string{{"Function"}},
			Metrics: []metrics.Metric{{Name: "PlexLatency", Unit: metrics.Milliseconds}}},
	)
	for _, at := range []time.Time{time.UnixMilli(1e12), time.UnixMilli(2e12)} {
		var buf bytes.Buffer
		slog.New(slog.NewJSONHandler(&buf, nil)).Info("request", slog.String("Function", "transient"),
			slog.String("StatusClass", "2xx"), slog.Int("Requests", 1), slog.Float64("PlexLatency", 12.5), meta.Attr(at))
		doc, err := metricstest.Parse(buf.Bytes())
		if err != nil {
			t.Fatalf("not EMF: %v\n%s", err, buf.String())
		}
		if !doc.Timestamp.Equal(at) {
			t.Errorf("Timestamp %v, want %v", doc.Timestamp, at)
		}
		r, l := doc.Metrics["Requests"], doc.Metrics["PlexLatency"]
		if r.Unit != "Count" || r.Value != 1 || !r.Filed("Function") || !r.Filed("Function", "StatusClass") || r.Namespace != "plexauth/test" {
			t.Errorf("Requests = %+v", r)
		}
		if l.Unit != "Milliseconds" || l.Value != 12.5 || !l.Filed("Function") || len(l.Dimensions) != 1 {
			t.Errorf("PlexLatency = %+v", l)
		}
	}
}
