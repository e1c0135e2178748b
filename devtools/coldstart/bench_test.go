package coldstart_test

import (
	"context"
	"encoding/json"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/plexauth/plexauth/devtools/coldstart"
	"github.com/plexauth/plexauth/devtools/runtimeapi"
	"github.com/plexauth/plexauth/internal/api/apitest"
	"github.com/plexauth/plexauth/internal/config"
	"github.com/plexauth/plexauth/internal/endpoint"
	"github.com/plexauth/plexauth/internal/lambdamain"
	"github.com/plexauth/plexauth/internal/secret/secrettest"
	"github.com/plexauth/plexauth/pkg/plex"
	"github.com/plexauth/plexauth/pkg/plex/plextest"
)

// rtt is the round-trip time the proxies add: COLDSTART_RTT (a Go
// duration), default 20ms.
func rtt(b *testing.B) time.Duration {
	v := os.Getenv("COLDSTART_RTT")
	if v == "" {
		return 20 * time.Millisecond
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		b.Fatalf("COLDSTART_RTT: %v", err)
	}
	return d
}

// BenchmarkColdStart times process start to first answer through the
// Runtime API for each function, overlapped (production) and naive, with
// the proxies' round-trip time on the way to Secrets Manager and Plex. Run
// it with -benchtime=1x -count=N: each sample is one cold start.
func BenchmarkColdStart(b *testing.B) {
	d := rtt(b)
	b.Run("fn=hello/variant=runtime", func(b *testing.B) {
		bin := runtimeapi.Build(b, "devtools/coldstart/testdata/hello")
		r := coldstart.NewRig(b, d)
		coldLoop(b, bin, r, nil)
	})
	for _, f := range coldstart.Functions {
		for _, naive := range []bool{false, true} {
			variant := "overlap"
			if naive {
				variant = "naive"
			}
			b.Run("fn="+f.Name+"/variant="+variant, func(b *testing.B) {
				bin := runtimeapi.Build(b, f.Package(naive))
				coldLoop(b, bin, coldstart.NewRig(b, d), f.Event.JSON())
			})
		}
	}
}

func coldLoop(b *testing.B, bin string, r *coldstart.Rig, event []byte) {
	var first, init []time.Duration
	var sm, conns int64
	for b.Loop() {
		c, err := coldstart.ColdStart(b.Context(), bin, r, event)
		if err != nil {
			b.Fatal(err)
		}
		first, init = append(first, c.FirstAnswer), append(init, c.Init)
		sm += int64(c.SMCalls)
		conns += c.PlexConns
	}
	n := float64(len(first))
	b.ReportMetric(ms(coldstart.Quantile(first, 0.5)), "ms/first-answer")
	b.ReportMetric(ms(coldstart.Quantile(init, 0.5)), "ms/init")
	b.ReportMetric(float64(sm)/n, "sm-calls/cold")
	b.ReportMetric(float64(conns)/n, "plex-conns/cold")
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1e3 }

// burstSize is how many invocations BenchmarkBurst queues at once.
const burstSize = 1000

// BenchmarkBurst starts a production bootstrap (no added round-trip time),
// answers one cold invocation, then queues burstSize invocations at once.
// It reports Secrets Manager calls and Plex connections per 1000
// invocations (the cold one included), the process's peak RSS, and the
// median time the function held a warm invocation (Runtime API hand-out to
// answer). Run it with -benchtime=1x.
func BenchmarkBurst(b *testing.B) {
	for _, f := range coldstart.Functions {
		b.Run("fn="+f.Name, func(b *testing.B) {
			bin := runtimeapi.Build(b, f.Package(false))
			r := coldstart.NewRig(b, 0)
			event := f.Event.JSON()
			var sm, conns, rss float64
			var held []time.Duration
			for b.Loop() {
				srv, proc := runtimeapi.Run(b, bin, r.Env()...)
				sm0, px0 := r.SM.Calls(), r.Plex.Connections()
				if err := coldstart.CheckAnswer(srv.Invoke(b.Context(), event, 10*time.Second)); err != nil {
					b.Fatalf("%v; output: %s", err, proc.Output())
				}
				var mu sync.Mutex
				var wg sync.WaitGroup
				errs := make(chan error, burstSize)
				for range burstSize {
					wg.Go(func() {
						res, err := srv.Invoke(b.Context(), event, 10*time.Second)
						if err := coldstart.CheckAnswer(res, err); err != nil {
							errs <- err
							return
						}
						mu.Lock()
						held = append(held, res.Duration)
						mu.Unlock()
					})
				}
				wg.Wait()
				close(errs)
				if err := <-errs; err != nil {
					b.Fatal(err)
				}
				per := 1000.0 / float64(burstSize+1)
				sm += float64(r.SM.Calls()-sm0) * per
				conns += float64(r.Plex.Connections()-px0) * per
				peak, err := coldstart.PeakRSS(bin)
				if err != nil {
					b.Fatal(err)
				}
				rss = max(rss, float64(peak)/(1<<20))
				proc.Stop()
				srv.Close()
			}
			n := float64(b.N)
			b.ReportMetric(sm/n, "sm-calls/1000inv")
			b.ReportMetric(conns/n, "plex-conns/1000inv")
			b.ReportMetric(rss, "peak-RSS-MiB")
			b.ReportMetric(float64(coldstart.Quantile(held, 0.5).Microseconds()), "µs/warm-held")
		})
	}
}

// warmCase is an endpoint and the bare client call it makes on its warm path.
type warmCase struct {
	name  string
	route endpoint.Route
	bare  func(ctx context.Context, c *plex.Client) error
}

var warmCases = []warmCase{
	{"transient", endpoint.Transient,
		func(ctx context.Context, c *plex.Client) error {
			_, err := c.TransientToken(ctx, plextest.AdminToken)
			return err
		}},
	{"sources", endpoint.Sources,
		func(ctx context.Context, c *plex.Client) error {
			_, err := c.Source(ctx, plextest.AdminToken, plex.SourceQuery{Source: "server://" + plextest.ServerID})
			return err
		}},
	{"details", endpoint.Details,
		func(ctx context.Context, c *plex.Client) error {
			_, err := c.User(ctx, plextest.AdminToken)
			return err
		}},
	{"signin", endpoint.SignIn,
		func(ctx context.Context, c *plex.Client) error {
			_, err := c.SignIn(ctx, plex.Credentials{Login: plextest.UserLogin, Password: plextest.UserPassword})
			return err
		}},
}

// BenchmarkWarmPath compares, in one process, a warm request through the
// handler as lambdamain wires it (the real secret store and logger, the
// event decoded by the handler's types) with the bare pkg/plex call it
// makes. The difference is the handler's warm overhead. Both talk to the
// same loopback simulator over plain HTTP, so transport costs cancel out.
func BenchmarkWarmPath(b *testing.B) {
	for i, f := range coldstart.Functions {
		wc := warmCases[i]
		b.Run("fn="+f.Name+"/path=handler", func(b *testing.B) {
			sim := plextest.NewServer()
			b.Cleanup(sim.Close)
			sm := secrettest.NewServer(b)
			secrettest.SetEnv(b, sm.URL)
			arn := sm.Put("plexauth", apitest.SecretJSON(plextest.AdminToken))
			getenv := map[string]string{config.EnvServerURL: sim.URL, config.EnvPlexTVURL: sim.URL,
				config.EnvSecretARN: arn, config.EnvClientIdentifier: "plexauth-bench", "LOG_LEVEL": "warn",
				// The guard checks every sign-in, but with no caller rate: the
				// loop signs in far faster than any caller may.
				config.EnvSignInCallerRate: "0"}
			h, err := lambdamain.Setup(b.Context(), lambdamain.Env{Getenv: func(k string) string { return getenv[k] },
				Log: &apitest.LogBuffer{}}, wc.route)
			if err != nil {
				b.Fatal(err)
			}
			var ev events.APIGatewayV2HTTPRequest
			if err := json.Unmarshal(f.Event.JSON(), &ev); err != nil {
				b.Fatal(err)
			}
			ctx := apitest.LambdaContext(b.Context(), "bench")
			call := func() {
				res, err := h.Handle(ctx, ev)
				if err != nil || res.StatusCode != 200 {
					b.Fatalf("Handle: %d %v %s", res.StatusCode, err, res.Body)
				}
			}
			call()
			conns := sim.Connections()
			b.ReportAllocs()
			n := 0
			for b.Loop() {
				call()
				if n++; n%1024 == 0 {
					sim.Reset()
				}
			}
			b.ReportMetric(float64(sim.Connections()-conns), "new-plex-conns")
			b.ReportMetric(float64(sm.Calls()), "sm-calls")
		})
		b.Run("fn="+f.Name+"/path=bare", func(b *testing.B) {
			sim := plextest.NewServer()
			b.Cleanup(sim.Close)
			c, err := plex.New(plex.Config{ServerURL: sim.URL, PlexTVURL: sim.URL, ClientIdentifier: "plexauth-bench",
				Product: "plexauth", Version: "1.0.0"})
			if err != nil {
				b.Fatal(err)
			}
			ctx := b.Context()
			if err := wc.bare(ctx, c); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			n := 0
			for b.Loop() {
				if err := wc.bare(ctx, c); err != nil {
					b.Fatal(err)
				}
				if n++; n%1024 == 0 {
					sim.Reset()
				}
			}
		})
	}
}
