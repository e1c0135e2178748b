// Package metrics writes CloudWatch metrics in the embedded metric format
// (EMF): one JSON log line that Lambda's log pipeline turns into metrics,
// with no API call and no extra permission.
//
//	m := metrics.New("plexauth", metrics.Dimensions{"Function": "keepalive"})
//	m.Add("TokenValid", metrics.Count, 1)
//	m.Add("PlexTVLatency", metrics.Milliseconds, 42)
//	m.Write(os.Stdout, time.Now())
package metrics

import (
	"encoding/json"
	"io"
	"maps"
	"slices"
	"time"
)

// Unit is a CloudWatch metric unit.
type Unit string

// The units this project emits; CloudWatch knows more.
const (
	Count        Unit = "Count"
	Milliseconds Unit = "Milliseconds"
	Seconds      Unit = "Seconds"
	None         Unit = "None"
)

// Dimensions are the one dimension set every metric of a line is filed under.
type Dimensions map[string]string

// Set is the metrics of one line: a namespace, one dimension set, and
// values with units. Build it with New, fill it with Add, emit it with
// Write. It is not safe for concurrent use.
type Set struct {
	namespace string
	dims      Dimensions
	metrics   []metric
	props     map[string]any
}

type metric struct {
	name  string
	unit  Unit
	value float64
}

// New starts a Set in namespace, filed under dims (nil: no dimension).
func New(namespace string, dims Dimensions) *Set {
	return &Set{namespace: namespace, dims: maps.Clone(dims), props: map[string]any{}}
}

// Add records a metric; adding a name again replaces its value.
func (s *Set) Add(name string, unit Unit, value float64) {
	for i := range s.metrics {
		if s.metrics[i].name == name {
			s.metrics[i] = metric{name, unit, value}
			return
		}
	}
	s.metrics = append(s.metrics, metric{name, unit, value})
}

// Property adds a field to the line that is no metric (searchable in the
// logs, not in CloudWatch metrics). A key that is a metric or dimension
// name, or "_aws", is ignored: those are the format's own.
func (s *Set) Property(key string, value any) {
	if key == "_aws" || s.dims[key] != "" || slices.ContainsFunc(s.metrics, func(m metric) bool { return m.name == key }) {
		return
	}
	s.props[key] = value
}

type metricDef struct {
	Name string `json:"Name"`
	Unit Unit   `json:"Unit"`
}

type directive struct {
	Namespace  string      `json:"Namespace"`
	Dimensions [][]string  `json:"Dimensions"`
	Metrics    []metricDef `json:"Metrics"`
}

type awsMeta struct {
	Timestamp         int64       `json:"Timestamp"` // unix milliseconds
	CloudWatchMetrics []directive `json:"CloudWatchMetrics"`
}

// Line is the EMF document of s at t, without its newline.
func (s *Set) Line(t time.Time) ([]byte, error) {
	doc := make(map[string]any, len(s.props)+len(s.dims)+len(s.metrics)+1)
	maps.Copy(doc, s.props)
	keys := slices.Sorted(maps.Keys(s.dims))
	for _, k := range keys {
		doc[k] = s.dims[k]
	}
	d := directive{Namespace: s.namespace, Dimensions: [][]string{keys}, Metrics: make([]metricDef, len(s.metrics))}
	for i, m := range s.metrics {
		d.Metrics[i] = metricDef{Name: m.name, Unit: m.unit}
		doc[m.name] = m.value
	}
	doc["_aws"] = awsMeta{Timestamp: t.UnixMilli(), CloudWatchMetrics: []directive{d}}
	return json.Marshal(doc)
}

// Write writes s's line at t to w, with its newline, in one Write call so
// that concurrent writers to the function's stdout do not interleave.
func (s *Set) Write(w io.Writer, t time.Time) error {
	b, err := s.Line(t)
	if err != nil {
		return err
	}
	_, err = w.Write(append(b, '\n'))
	return err
}
