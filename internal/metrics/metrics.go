// Package metrics writes CloudWatch metrics in the embedded metric format
// (EMF): one JSON log line that Lambda's log pipeline turns into metrics,
// with no API call and no extra permission.
//
// A Set is a line of its own:
//
//	m := metrics.New("plexauth", metrics.Dimensions{"Function": "keepalive"})
//	m.Add("TokenValid", metrics.Count, 1)
//	m.Add("PlexTVLatency", metrics.Milliseconds, 42)
//	m.Write(os.Stdout, time.Now())
//
// Metadata makes an slog line an EMF document instead, for a line written
// often: its directives are encoded once, and the line carries the
// dimensions and values as attributes of its own.
//
//	meta := metrics.NewMetadata(metrics.Directive{Namespace: "plexauth",
//		Dimensions: [][]string{{"Function"}}, Metrics: []metrics.Metric{{"Requests", metrics.Count}}})
//	logger.Info("request", slog.String("Function", "transient"), slog.Int("Requests", 1), meta.Attr(time.Now()))
package metrics

import (
	"encoding/json"
	"io"
	"log/slog"
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

// FunctionDimension names the function a metric is about: the same
// dimension for every function, so one CloudWatch view lists them all.
const FunctionDimension = "Function"

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

// Metric declares a metric of a line: its value is the line's member Name.
type Metric struct {
	Name string `json:"Name"`
	Unit Unit   `json:"Unit"`
}

// Directive declares metrics filed in Namespace under each dimension set; a
// set names members of the line whose values are strings.
type Directive struct {
	Namespace  string     `json:"Namespace"`
	Dimensions [][]string `json:"Dimensions"`
	Metrics    []Metric   `json:"Metrics"`
}

type awsMeta struct {
	Timestamp         int64       `json:"Timestamp"` // unix milliseconds
	CloudWatchMetrics []Directive `json:"CloudWatchMetrics"`
}

// Metadata is the "_aws" member of lines that declare the same directives,
// encoded once.
type Metadata struct {
	directives *json.RawMessage
}

// NewMetadata encodes ds, which must not be empty.
func NewMetadata(ds ...Directive) Metadata {
	b, err := json.Marshal(ds)
	if err != nil { // strings and slices only: cannot happen
		panic("metrics: " + err.Error())
	}
	raw := json.RawMessage(b)
	return Metadata{&raw}
}

// Attr is the "_aws" attribute of a line at t. The line is a valid EMF
// document when its other top-level attributes hold every declared dimension
// (a string) and metric (a number): the caller's to add.
func (m Metadata) Attr(t time.Time) slog.Attr {
	return slog.Attr{Key: "_aws", Value: slog.GroupValue(
		slog.Int64("Timestamp", t.UnixMilli()), slog.Any("CloudWatchMetrics", m.directives))}
}

// Line is the EMF document of s at t, without its newline.
func (s *Set) Line(t time.Time) ([]byte, error) {
	doc := make(map[string]any, len(s.props)+len(s.dims)+len(s.metrics)+1)
	maps.Copy(doc, s.props)
	keys := slices.Sorted(maps.Keys(s.dims))
	for _, k := range keys {
		doc[k] = s.dims[k]
	}
	d := Directive{Namespace: s.namespace, Dimensions: [][]string{keys}, Metrics: make([]Metric, len(s.metrics))}
	for i, m := range s.metrics {
		d.Metrics[i] = Metric{Name: m.name, Unit: m.unit}
		doc[m.name] = m.value
	}
	doc["_aws"] = awsMeta{Timestamp: t.UnixMilli(), CloudWatchMetrics: []Directive{d}}
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
