package runtimeapi_test

import (
	"testing"
	"time"

	"github.com/plexauth/plexauth/devtools/runtimeapi"
)

// BenchmarkColdStartHello is the cold start baseline: a bare aws-lambda-go function from process
// start to its first /next (ms/init) and to its first response (ms/coldstart). The binary is in
// the page cache after the first round, so this is the runtime's own start-up cost, not
// Lambda's download and sandbox set-up.
func BenchmarkColdStartHello(b *testing.B) {
	bin := runtimeapi.Build(b, helloPkg)
	var initTotal, coldTotal time.Duration
	n := 0
	for b.Loop() {
		srv := runtimeapi.NewServer()
		proc, err := runtimeapi.Start(b.Context(), bin, srv, nil)
		if err != nil {
			b.Fatal(err)
		}
		res, err := srv.Invoke(b.Context(), []byte(`{"bench":true}`), 0)
		cold := time.Since(proc.StartedAt())
		if err != nil || res.Err != nil {
			b.Fatalf("Invoke: %v %v", err, res.Err)
		}
		b.StopTimer()
		initTotal += srv.ReadyAt().Sub(proc.StartedAt())
		coldTotal += cold
		n++
		proc.Stop()
		srv.Close()
		b.StartTimer()
	}
	b.ReportMetric(float64(initTotal.Microseconds())/1e3/float64(n), "ms/init")
	b.ReportMetric(float64(coldTotal.Microseconds())/1e3/float64(n), "ms/coldstart")
}
