package coldstart_test

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"strings"
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

// Case is one network: Secrets Manager SM away, Plex Plex away (round trips).
type Case struct{ SM, Plex time.Duration }

func (c Case) String() string {
	return fmt.Sprintf("sm%d-plex%d", c.SM.Milliseconds(), c.Plex.Milliseconds())
}

// envList reads a comma-separated benchmark setting, or def.
func envList(name, def string) []string { return strings.Split(cmp.Or(os.Getenv(name), def), ",") }

// cases are COLDSTART_CASES ("sm/plex" round trips in ms, comma-separated):
// by default no latency, the old 20/20, and Secrets Manager in the region
// with Plex 20 and 80 ms away.
func cases(b *testing.B) []Case {
	var out []Case
	for _, v := range envList("COLDSTART_CASES", "0/0,20/20,2/20,2/80") {
		sm, px, ok := strings.Cut(v, "/")
		a, err1 := strconv.Atoi(sm)
		c, err2 := strconv.Atoi(px)
		if !ok || err1 != nil || err2 != nil {
			b.Fatalf("COLDSTART_CASES: %q is not sm/plex in ms", v)
		}
		out = append(out, Case{time.Duration(a) * time.Millisecond, time.Duration(c) * time.Millisecond})
	}
	return out
}

// memories are COLDSTART_MEMORY: memory sizes in MB whose CPU share holds
// the bootstrap after init, or "full" for no quota. By default the cases
// kept for continuity run at full CPU and 128 MB, the others at 128, 256
// and 512 MB (the memory-size table's).
func memories(b *testing.B, c Case) []int {
	def := "128,256,512"
	if c.SM == c.Plex {
		def = "full,128"
	}
	var out []int
	for _, v := range envList("COLDSTART_MEMORY", def) {
		if v == "full" {
			out = append(out, 0)
			continue
		}
		mb, err := strconv.Atoi(v)
		if err != nil || mb < 128 {
			b.Fatalf("COLDSTART_MEMORY: %q is not full or a size in MB (at least 128)", v)
		}
		out = append(out, mb)
	}
	return out
}

// coldVariant is one binary the cold-start benchmark starts.
type coldVariant struct {
	fn, variant, pkg string
	event            []byte // nil: any answer that is not an error
}

func coldVariants() []coldVariant {
	vs := []coldVariant{
		{"hello", "runtime", "devtools/coldstart/testdata/hello", nil},
		{"sdkfloor", "floor", "devtools/coldstart/testdata/sdkfloor-call", nil},
	}
	for _, f := range coldstart.Functions {
		vs = append(vs, coldVariant{f.Name, "overlap", f.Package(false), f.Event.JSON()},
			coldVariant{f.Name, "naive", f.Package(true), f.Event.JSON()})
	}
	// The design the production one replaced: the same overlap left to run
	// in the background after init (measured on one function: init is shared).
	return append(vs, coldVariant{"transient", "background", "devtools/coldstart/testdata/background-transient",
		coldstart.Functions[0].Event.JSON()})
}

// BenchmarkColdStart times process start to first answer through the
// Runtime API for every case (round trips to Secrets Manager and Plex),
// memory size (the CPU share after init; full: none) and binary: the
// hello-world and SDK floors, each function overlapped (production) and
// naive, and the background-overlap alternative. After the first answer it
// times COLDSTART_WARM (default 20) warm invocations. Run it with
// -benchtime=1x -count=N: each sample is one cold start. Where no CPU quota
// can be set, the memory sizes are skipped with a message saying so.
func BenchmarkColdStart(b *testing.B) {
	warm, err := strconv.Atoi(cmp.Or(os.Getenv("COLDSTART_WARM"), "20"))
	if err != nil {
		b.Fatalf("COLDSTART_WARM: %v", err)
	}
	quotaErr := probeQuota()
	for _, c := range cases(b) {
		for _, mb := range memories(b, c) {
			mem := "full"
			if mb > 0 {
				mem = strconv.Itoa(mb)
			}
			b.Run("case="+c.String()+"/mem="+mem, func(b *testing.B) {
				if mb > 0 && quotaErr != nil {
					b.Skipf("memory size %d MB skipped: %v", mb, quotaErr)
				}
				r := coldstart.NewRig(b, c.SM, c.Plex)
				for _, v := range coldVariants() {
					b.Run("fn="+v.fn+"/variant="+v.variant, func(b *testing.B) {
						coldLoop(b, runtimeapi.Build(b, v.pkg), r, v.event, coldstart.ColdOptions{MemoryMB: mb, Warm: warm})
					})
				}
			})
		}
	}
}

// probeQuota says whether a CPU quota can be set here.
func probeQuota() error {
	l, err := coldstart.NewCPULimit("/sys/fs/cgroup")
	if err != nil {
		return err
	}
	return l.Close()
}

func coldLoop(b *testing.B, bin string, r *coldstart.Rig, event []byte, o coldstart.ColdOptions) {
	var first, init, warm []time.Duration
	var sm, conns int64
	var rss int64
	for b.Loop() {
		c, err := coldstart.ColdStart(b.Context(), bin, r, event, o)
		if err != nil {
			b.Fatal(err)
		}
		first, init = append(first, c.FirstAnswer), append(init, c.Init)
		warm = append(warm, c.Warm...)
		sm += int64(c.SMCalls)
		conns += c.PlexConns
		rss = max(rss, c.PeakRSS)
	}
	n := float64(len(first))
	b.ReportMetric(ms(coldstart.Quantile(first, 0.5)), "ms/first-answer")
	b.ReportMetric(ms(coldstart.Quantile(init, 0.5)), "ms/init")
	if len(warm) > 0 {
		b.ReportMetric(ms(coldstart.Quantile(warm, 0.5)), "ms/warm-p50")
		b.ReportMetric(ms(coldstart.Quantile(warm, 0.99)), "ms/warm-p99")
	}
	b.ReportMetric(float64(rss)/(1<<20), "MiB/peak-RSS")
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
			r := coldstart.NewRig(b, 0, 0)
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
				config.EnvSecretARN: arn, config.EnvClientIdentifier: "plexauth-bench", "AWS_LAMBDA_LOG_LEVEL": "WARN",
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
