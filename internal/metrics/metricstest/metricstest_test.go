package metricstest_test

import (
	"strings"
	"testing"
	"time"

	"github.com/plexauth/plexauth/internal/metrics/metricstest"
)

const good = `{"Function":"f","Code":"x","Requests":1,"Latency":2.5,"_aws":{"Timestamp":1700000000000,"CloudWatchMetrics":[` +
	`{"Namespace":"ns","Dimensions":[["Function"],["Function","Code"]],"Metrics":[{"Name":"Requests","Unit":"Count"}]},` +
	`{"Namespace":"ns","Dimensions":[[]],"Metrics":[{"Name":"Latency"}]}]}}`

func TestParse(t *testing.T) {
	doc, err := metricstest.Parse([]byte(good))
	if err != nil {
		t.Fatal(err)
	}
	if !doc.Timestamp.Equal(time.UnixMilli(1700000000000)) {
		t.Errorf("Timestamp = %v", doc.Timestamp)
	}
	r, l := doc.Metrics["Requests"], doc.Metrics["Latency"]
	if r.Namespace != "ns" || r.Unit != "Count" || r.Value != 1 || !r.Filed("Function") || !r.Filed("Function", "Code") || r.Filed() {
		t.Errorf("Requests = %+v", r)
	}
	if l.Unit != "None" || l.Value != 2.5 || !l.Filed() || l.Filed("Function") {
		t.Errorf("Latency = %+v, want unit None and filed under no dimension", l)
	}
}

// TestParseRejects: each broken rule is caught, so a test that relies on
// Parse cannot pass a line CloudWatch would not take.
func TestParseRejects(t *testing.T) {
	tests := []struct{ name, from, to, want string }{
		{"not JSON", `{"Function"`, `{"Function`, "not a JSON object"},
		{"no _aws", `"_aws"`, `"aws"`, "no _aws"},
		{"no timestamp", `"Timestamp"`, `"Time"`, "Timestamp"},
		{"no directive", `"CloudWatchMetrics"`, `"Metrics2"`, "CloudWatchMetrics"},
		{"no namespace", `{"Namespace":"ns","Dimensions":[["Function"]`, `{"Dimensions":[["Function"]`, "Namespace"},
		{"dimension absent", `"Function":"f",`, ``, `dimension "Function"`},
		{"dimension not a string", `"Code":"x"`, `"Code":3`, `dimension "Code"`},
		{"dimension empty", `"Code":"x"`, `"Code":""`, `dimension "Code"`},
		{"metric absent", `"Latency":2.5,`, ``, `metric "Latency"`},
		{"metric not a number", `"Requests":1`, `"Requests":"1"`, `metric "Requests"`},
		{"metric null", `"Requests":1`, `"Requests":null`, `metric "Requests"`},
		{"unknown unit", `"Unit":"Count"`, `"Unit":"Requests"`, `unit "Requests"`},
		{"no dimensions", `"Dimensions":[[]],`, ``, "Dimensions"},
		{"declared twice", `"Metrics":[{"Name":"Latency"}]`, `"Metrics":[{"Name":"Requests"}]`, "declared twice"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			line := strings.Replace(good, tc.from, tc.to, 1)
			if line == good {
				t.Fatalf("%q is not in the good line", tc.from)
			}
			_, err := metricstest.Parse([]byte(line))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Parse(%s) = %v, want an error about %s", line, err, tc.want)
			}
		})
	}
}
