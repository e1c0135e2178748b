// Package metricstest reads a log line as CloudWatch reads an embedded metric
// format (EMF) document, so that a test can check that a line is one and
// what it files.
package metricstest

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"
)

// Doc is what CloudWatch would take from an EMF line.
type Doc struct {
	Timestamp time.Time
	Metrics   map[string]Metric // by name
}

// Metric is one metric of a Doc.
type Metric struct {
	Namespace  string
	Unit       string
	Value      float64
	Dimensions [][]string // the dimension sets it is filed under; their values are the Doc line's
}

// Filed reports whether m is filed under exactly the dimension set names.
func (m Metric) Filed(names ...string) bool {
	return slices.ContainsFunc(m.Dimensions, func(set []string) bool { return slices.Equal(set, names) })
}

// units are the units CloudWatch takes.
var units = []string{
	"Seconds", "Microseconds", "Milliseconds", "Bytes", "Kilobytes", "Megabytes", "Gigabytes", "Terabytes",
	"Bits", "Kilobits", "Megabits", "Gigabits", "Terabits", "Percent", "Count",
	"Bytes/Second", "Kilobytes/Second", "Megabytes/Second", "Gigabytes/Second", "Terabytes/Second",
	"Bits/Second", "Kilobits/Second", "Megabits/Second", "Gigabits/Second", "Terabits/Second", "Count/Second", "None",
}

// The format's limits.
const (
	maxDimensions = 30  // names per dimension set
	maxMetrics    = 100 // per directive
)

type directive struct {
	Namespace  *string    `json:"Namespace"`
	Dimensions [][]string `json:"Dimensions"`
	Metrics    []struct {
		Name string  `json:"Name"`
		Unit *string `json:"Unit"`
	} `json:"Metrics"`
}

// Parse checks line against the format's rules and returns its metrics; the
// error says which rule it breaks.
func Parse(line []byte) (Doc, error) {
	var root map[string]json.RawMessage
	if err := json.Unmarshal(line, &root); err != nil {
		return Doc{}, fmt.Errorf("not a JSON object: %w", err)
	}
	var aws struct {
		Timestamp         *int64       `json:"Timestamp"`
		CloudWatchMetrics *[]directive `json:"CloudWatchMetrics"`
	}
	if raw, ok := root["_aws"]; !ok {
		return Doc{}, errors.New("no _aws member")
	} else if err := json.Unmarshal(raw, &aws); err != nil {
		return Doc{}, fmt.Errorf("_aws: %w", err)
	}
	if aws.Timestamp == nil || aws.CloudWatchMetrics == nil || len(*aws.CloudWatchMetrics) == 0 {
		return Doc{}, errors.New("_aws needs a Timestamp and at least one CloudWatchMetrics directive")
	}
	doc := Doc{Timestamp: time.UnixMilli(*aws.Timestamp), Metrics: map[string]Metric{}}
	for i, d := range *aws.CloudWatchMetrics {
		if d.Namespace == nil || len(*d.Namespace) == 0 || len(*d.Namespace) > 255 {
			return Doc{}, fmt.Errorf("directive %d: Namespace must be 1 to 255 characters", i)
		}
		if d.Dimensions == nil || len(d.Metrics) == 0 || len(d.Metrics) > maxMetrics {
			return Doc{}, fmt.Errorf("directive %d: needs Dimensions and 1 to %d Metrics", i, maxMetrics)
		}
		for _, set := range d.Dimensions {
			if len(set) > maxDimensions {
				return Doc{}, fmt.Errorf("directive %d: a dimension set of %d names, at most %d", i, len(set), maxDimensions)
			}
			for _, name := range set {
				var v string
				if err := member(root, name, &v); err != nil || v == "" {
					return Doc{}, fmt.Errorf("directive %d: dimension %q is not a non-empty string member of the line", i, name)
				}
			}
		}
		for _, m := range d.Metrics {
			var v float64
			if err := member(root, m.Name, &v); err != nil {
				return Doc{}, fmt.Errorf("directive %d: metric %q is not a number member of the line", i, m.Name)
			}
			unit := "None" // CloudWatch's default
			if m.Unit != nil {
				unit = *m.Unit
			}
			if !slices.Contains(units, unit) {
				return Doc{}, fmt.Errorf("directive %d: metric %q has unit %q, which CloudWatch does not know", i, m.Name, unit)
			}
			if _, dup := doc.Metrics[m.Name]; dup {
				return Doc{}, fmt.Errorf("metric %q is declared twice", m.Name)
			}
			doc.Metrics[m.Name] = Metric{Namespace: *d.Namespace, Unit: unit, Value: v, Dimensions: d.Dimensions}
		}
	}
	return doc, nil
}

// member decodes the line's member name into v; null or absent is an error.
func member(root map[string]json.RawMessage, name string, v any) error {
	raw, ok := root[name]
	if !ok || string(raw) == "null" {
		return errors.New("absent")
	}
	return json.Unmarshal(raw, v)
}
