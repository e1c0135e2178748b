// Command benchreport runs the performance suite (binary sizes, cold starts,
// warm paths, a burst) and writes BENCHMARKS.md. `make bench` runs it from
// the repository root.
package main

import (
	"bufio"
	"bytes"
	"flag"
	"fmt"
	"io"
	"log"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"
)

var functions = []string{"transient", "sources", "details", "signin"}

// The same flags as the Makefile's LAMBDA_ENV and LAMBDA_FLAGS.
var (
	lambdaEnv   = []string{"CGO_ENABLED=0", "GOOS=linux", "GOARCH=arm64"}
	lambdaFlags = []string{"-tags", "lambda.norpc", "-trimpath", "-buildvcs=false", "-ldflags=-s"}
)

const coldPkg = "./devtools/coldstart"

func main() {
	count := flag.Int("count", 1, "samples per cold start and warm benchmark")
	out := flag.String("out", "BENCHMARKS.md", "report file")
	benchstat := flag.String("benchstat", "", "benchstat command (optional), e.g. a path to the binary")
	flag.Parse()
	log.SetFlags(0)

	var r report
	r.count = *count
	r.sizes = sizes()
	r.cold = run("cold starts", "-bench", "^BenchmarkColdStart$", "-benchtime=1x", "-count", strconv.Itoa(*count), coldPkg)
	r.burst = run("burst", "-bench", "^BenchmarkBurst$", "-benchtime=1x", "-count=1", coldPkg)
	r.warm = run("warm path", "-bench", "^BenchmarkWarmPath$", "-benchmem", "-benchtime=0.2s", "-count", strconv.Itoa(min(*count, 6)), coldPkg)
	var pkgs []string
	for _, p := range []string{"./pkg/plex", "./internal/endpoint"} {
		if hasBenchmarks(p) {
			pkgs = append(pkgs, p)
		}
	}
	if len(pkgs) > 0 {
		r.others = run("client and handler benchmarks", append([]string{"-bench", ".", "-benchmem", "-benchtime=0.2s", "-count", strconv.Itoa(min(*count, 6))}, pkgs...)...)
		r.otherPkgs = pkgs
		if *benchstat != "" {
			r.othersStat = runBenchstat(*benchstat, r.others.raw)
		}
	}
	var buf bytes.Buffer
	r.write(&buf)
	if err := os.WriteFile(*out, buf.Bytes(), 0o644); err != nil {
		log.Fatal(err)
	}
	fmt.Printf("wrote %s\n", *out)
}

type size struct {
	name  string
	bytes int64
}

// sizes builds every function and the floors for linux/arm64 with the
// deployment flags and returns their sizes.
func sizes() []size {
	log.Print("== binary sizes (linux/arm64)")
	dir, err := os.MkdirTemp("", "benchreport-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	pkgs := [][2]string{
		{"hello (aws-lambda-go only)", "./devtools/coldstart/testdata/hello"},
		{"floor: SDK config + SM client, constructed only", "./devtools/coldstart/testdata/sdkfloor-construct"},
		{"floor: SDK config + SM client calling GetSecretValue", "./devtools/coldstart/testdata/sdkfloor-call"},
	}
	for _, f := range functions {
		pkgs = append(pkgs, [2]string{f, "./functions/" + f})
	}
	var out []size
	for i, p := range pkgs {
		bin := filepath.Join(dir, strconv.Itoa(i))
		cmd := exec.Command("go", append(append([]string{"build"}, lambdaFlags...), "-o", bin, p[1])...)
		cmd.Env = append(os.Environ(), lambdaEnv...)
		cmd.Stderr = os.Stderr
		if err := cmd.Run(); err != nil {
			log.Fatalf("go build %s: %v", p[1], err)
		}
		fi, err := os.Stat(bin)
		if err != nil {
			log.Fatal(err)
		}
		out = append(out, size{p[0], fi.Size()})
	}
	return out
}

// result is parsed `go test -bench` output: samples per benchmark and unit.
type result struct {
	raw   string
	names []string                        // in first-seen order
	vals  map[string]map[string][]float64 // name -> unit -> samples
}

func (r result) median(name, unit string) float64 { return quantile(r.vals[name][unit], 0.5) }
func (r result) p90(name, unit string) float64    { return quantile(r.vals[name][unit], 0.9) }

func run(what string, args ...string) result {
	log.Printf("== %s: go test -run ^$ %s", what, strings.Join(args, " "))
	cmd := exec.Command("go", append([]string{"test", "-run", "^$"}, args...)...)
	var buf bytes.Buffer
	cmd.Stdout = io.MultiWriter(&buf, os.Stderr)
	cmd.Stderr = os.Stderr
	if err := cmd.Run(); err != nil {
		log.Fatalf("go test: %v", err)
	}
	return parse(buf.String())
}

func parse(out string) result {
	r := result{raw: out, vals: map[string]map[string][]float64{}}
	pkg := ""
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		line := sc.Text()
		if p, ok := strings.CutPrefix(line, "pkg: "); ok {
			pkg = p[strings.LastIndex(p, "/")+1:] + "."
			continue
		}
		f := strings.Fields(line)
		if len(f) < 4 || !strings.HasPrefix(f[0], "Benchmark") {
			continue
		}
		name := f[0]
		if i := strings.LastIndex(name, "-"); i > 0 {
			name = name[:i] // drop -GOMAXPROCS
		}
		name = pkg + strings.TrimPrefix(name, "Benchmark")
		if r.vals[name] == nil {
			r.vals[name] = map[string][]float64{}
			r.names = append(r.names, name)
		}
		for i := 2; i+1 < len(f); i += 2 {
			v, err := strconv.ParseFloat(f[i], 64)
			if err == nil {
				r.vals[name][f[i+1]] = append(r.vals[name][f[i+1]], v)
			}
		}
	}
	return r
}

// quantile is the nearest-rank q-quantile; NaN without samples.
func quantile(v []float64, q float64) float64 {
	if len(v) == 0 {
		return math.NaN()
	}
	s := slices.Clone(v)
	slices.Sort(s)
	i := int(math.Ceil(q*float64(len(s)))) - 1
	return s[min(max(i, 0), len(s)-1)]
}

func hasBenchmarks(pkg string) bool {
	out, err := exec.Command("go", "test", "-list", "^Benchmark", pkg).Output()
	return err == nil && (bytes.Contains(out, []byte("\nBenchmark")) || bytes.HasPrefix(out, []byte("Benchmark")))
}

func runBenchstat(cmdline, raw string) string {
	// benchstat titles its column with the file's name: keep it stable and
	// free of temporary paths.
	dir, err := os.MkdirTemp("", "benchstat")
	if err != nil {
		return ""
	}
	defer os.RemoveAll(dir)
	if err := os.WriteFile(filepath.Join(dir, "results"), []byte(raw), 0o644); err != nil {
		return ""
	}
	args := strings.Fields(cmdline)
	cmd := exec.Command(args[0], append(args[1:], "results")...)
	cmd.Dir = dir
	out, err := cmd.Output()
	if err != nil {
		log.Printf("benchstat: %v (the report keeps its own medians)", err)
		return ""
	}
	return string(out)
}

type report struct {
	count      int
	sizes      []size
	cold       result
	burst      result
	warm       result
	others     result
	otherPkgs  []string
	othersStat string
}

func (r *report) write(w io.Writer) {
	p := func(format string, a ...any) { fmt.Fprintf(w, format, a...) }
	p("# Benchmarks\n\n")
	p("Generated by `make bench` (`go run ./devtools/benchreport`) on %s. Figures are medians over repeated runs; ratios compare medians.\n\n", time.Now().UTC().Format("2006-01-02"))
	p("## Machine\n\n- Go: %s, %s/%s\n- CPU: %s, %d cores\n- Cold starts and warm paths run on the host architecture (%s); production is linux/arm64, for which only sizes are measured.\n\n",
		runtime.Version(), runtime.GOOS, runtime.GOARCH, cpuModel(), runtime.NumCPU(), runtime.GOARCH)

	// Sizes.
	p("## Binary size (linux/arm64, `CGO_ENABLED=0 -tags lambda.norpc -trimpath -buildvcs=false -ldflags=-s`)\n\n")
	var floorCall, floorConstruct float64
	for _, s := range r.sizes {
		if strings.Contains(s.name, "calling") {
			floorCall = float64(s.bytes)
		}
		if strings.Contains(s.name, "constructed") {
			floorConstruct = float64(s.bytes)
		}
	}
	p("| binary | size (MB) | vs calling floor | vs constructing floor | target ≤ 1.05x calling floor |\n|---|---:|---:|---:|---|\n")
	for _, s := range r.sizes {
		b := float64(s.bytes)
		verdict := ""
		if slices.Contains(functions, s.name) {
			verdict = metMissed(b/floorCall <= 1.05, fmt.Sprintf("%+.1f%% over the 1.05x bound", (b/floorCall/1.05-1)*100))
		}
		p("| %s | %.2f | %.3fx | %.3fx | %s |\n", s.name, b/1e6, b/floorCall, b/floorConstruct, verdict)
	}
	p("\nA Secrets Manager client that is never called is mostly removed by the linker, so the constructing-only floor is lower than any function can reach; every function calls GetSecretValue, so the calling floor is the honest one.\n\n")

	r.writeCold(w)

	// Warm path.
	p("## Warm path: handler vs bare pkg/plex call (in process, loopback simulator, plain HTTP)\n\n")
	p("| function | handler median (µs/op) | bare client median (µs/op) | overhead (µs) | target ≤ 50 µs | handler allocs/op | bare allocs/op | handler B/op | new Plex conns during the run | SM calls during the run |\n|---|---:|---:|---:|---|---:|---:|---:|---:|---:|\n")
	for _, f := range functions {
		h, b := "coldstart.WarmPath/fn="+f+"/path=handler", "coldstart.WarmPath/fn="+f+"/path=bare"
		hu, bu := r.warm.median(h, "ns/op")/1e3, r.warm.median(b, "ns/op")/1e3
		p("| %s | %.1f | %.1f | %.1f | %s | %.0f | %.0f | %.0f | %.0f | %.0f |\n", f, hu, bu, hu-bu,
			metMissed(hu-bu <= 50, fmt.Sprintf("missed by %.1f µs", hu-bu-50)),
			r.warm.median(h, "allocs/op"), r.warm.median(b, "allocs/op"), r.warm.median(h, "B/op"),
			r.warm.median(h, "new-plex-conns"), r.warm.median(h, "sm-calls"))
	}
	p("\nAllocations count the whole process, so they include the simulator's share (the same on both sides).\n\n")

	// Burst.
	p("## Burst: one cold invocation, then 1000 queued at once, through the Runtime API (no added RTT)\n\n")
	p("| function | SM calls per 1000 invocations | Plex connections per 1000 invocations | peak RSS (MiB, VmHWM) | median time the function held a warm invocation (µs) |\n|---|---:|---:|---:|---:|\n")
	for _, f := range functions {
		n := "coldstart.Burst/fn=" + f
		p("| %s | %.2f | %.2f | %.1f | %.0f |\n", f, r.burst.median(n, "sm-calls/1000inv"), r.burst.median(n, "plex-conns/1000inv"),
			r.burst.median(n, "peak-RSS-MiB"), r.burst.median(n, "µs/warm-held"))
	}
	p("\nTarget: one Secrets Manager call per container per TTL (the burst runs well within the 5 min TTL, so 1 call per 1001 invocations = 1.00 per 1000) and one Plex connection reused across warm invocations.\n\n")

	// Others.
	if len(r.otherPkgs) > 0 {
		p("## Client vs raw net/http, handler vs bare client (%s)\n\n", strings.Join(r.otherPkgs, ", "))
		if r.othersStat != "" {
			p("benchstat:\n\n```\n%s```\n\n", r.othersStat)
		} else {
			p("| benchmark | median ns/op | median B/op | median allocs/op |\n|---|---:|---:|---:|\n")
			for _, n := range r.others.names {
				p("| %s | %.0f | %.0f | %.0f |\n", n, r.others.median(n, "ns/op"), r.others.median(n, "B/op"), r.others.median(n, "allocs/op"))
			}
			p("\n")
		}
	}

	p("%s", method)
}

const method = `## Design choices measured

- **naive** (lambdamain.NoOverlap): nothing before the first request; every handshake runs after init, at the memory size's CPU share.
- **background overlap** (lambdamain.WarmInBackground, the design before this one; row "transient (background)"): init starts the secret fetch and the Plex connection and ends at once. At full CPU it is as fast as the chosen design, but under the CPU share its handshakes and the certificate pool parse run after init, at that share: it loses most of its gain (see the 128 MB tables).
- **overlap with init waiting for it** (production, lambdamain.Start): the same prefetch and warm-up, started at process start in parallel, but init waits for them (at most 2 s), so their CPU work runs while Lambda gives init the full CPU and only the waiting overlaps; the first invocation then pays only its Plex call. It won because it is the only one whose first answer stays near the limit under the 128 MB share; at full CPU it ties with the background overlap.
- **Plex warm-up without a request** (pkg/plex Client.Warm, production): Warm dials and completes the TLS handshake but sends nothing, and the transport's first dial to that address takes the connection. The earlier warm-up sent a HEAD / and waited for its answer, so init paid one more Plex round trip than the limit counts. Measured with one sample per case at the change, under the 128 MB share: Secrets Manager 2 ms / Plex 80 ms went from 1.37–1.41x the limit to 1.01–1.04x (first answer 341–352 ms to 259–268 ms), 2 ms / 20 ms from 1.48–1.57x to 1.19–1.22x (105–111 ms to 85–87 ms).

## Method

- **Sizes**: each binary built for linux/arm64 with the Makefile's flags; floors are devtools/coldstart/testdata/{hello,sdkfloor-construct,sdkfloor-call}.
- **Cold start** (BenchmarkColdStart, -benchtime=1x -count=N, one cold start per sample): the real bootstrap, built for the host by runtimeapi.Build, is started against a fresh Lambda Runtime API emulator and sent one event, then 20 warm events one after the other; the first answer runs from process start to the response posted through the Runtime API, "init" from process start to the runtime's first /next, warm latency is the time the function held each warm invocation. The Secrets Manager stand-in and the Plex simulator are both served over TLS (the bootstrap trusts the system's CA bundle plus the test CA through SSL_CERT_FILE, so it parses a real pool), each behind its own delaying TCP proxy on 127.0.0.1: every chunk is forwarded half the destination's round trip after it was read, in both directions, without limiting throughput, and the first chunk a client sends on a new connection is held one more round trip for the TCP handshake. A new HTTPS connection therefore costs TCP + TLS 1.3 round trips before its first request, as on a real network. "Naive" is the same handler and wiring built with lambdamain.NoOverlap() (devtools/coldstart/testdata/naive-*): its first request fetches the secret, then connects to Plex, then calls. "Floor" is devtools/coldstart/testdata/sdkfloor-call: the AWS SDK's default configuration and one GetSecretValue per invocation over the same TLS proxy, the least a function holding its secret in Secrets Manager does.
- **Lambda's CPU rules**: each bootstrap runs in a cgroup of its own with the full CPU until the emulator sees its first GET /next, then the memory size's share of one vCPU (MB/1769) as a CFS quota per 100 ms period (cgroup v1 cpu.cfs_quota_us, or v2 cpu.max): 128 MB is 7.2 ms per 100 ms. Where no quota can be set (no root, no cpu controller), the memory sizes are skipped with a message saying so, and only the full-CPU rows remain.
- **Physical limit** per case and memory size: the hello-world's first answer (process start and the runtime) + the longer of the Secrets Manager connection and fetch that must precede the Plex call (TCP + TLS + request: 3 Secrets Manager round trips) and the Plex connection (TCP + TLS: 2 Plex round trips) + one Plex round trip for the call itself. Warm limit: one Plex round trip + the hello-world's warm invocation.
- **Cost**: requests at $0.20 per million plus GB-seconds at $0.0000133334 per GB-second (AWS Lambda arm64 list price, us-east-1, first pricing tier, as listed in 2026), each invocation billed by its warm duration rounded up to the millisecond.
- **Warm path** (BenchmarkWarmPath): the handler as lambdamain.Start wires it (real secret store and logger, Plex client) against the bare pkg/plex call it makes, same process, same loopback simulator; overhead = difference of medians.
- **Burst** (BenchmarkBurst): the production bootstrap answers one cold invocation, then 1000 invocations are queued at once; Secrets Manager calls come from the stand-in's counter, Plex connections from the simulator's accepted-connection counter, peak RSS from VmHWM in /proc/<pid>/status.
- Other packages' benchmarks (client vs raw net/http in pkg/plex, handler vs bare client in internal/endpoint) are run as their authors wrote them and reported as medians.

## Reproduce

    make bench                      # BENCH_COUNT=1 by default (about 9 minutes on a busy 2-core machine)
    make bench BENCH_COUNT=10

or run one part: ` + "`go test -run '^$' -bench '^BenchmarkColdStart$' -benchtime=1x -count=3 ./devtools/coldstart`" + ` (COLDSTART_CASES="2/20,2/80" sets the round trips to Secrets Manager/Plex in ms, COLDSTART_MEMORY="full,128" the memory sizes, COLDSTART_WARM the warm invocations per cold start).
`

func metMissed(ok bool, miss string) string {
	if ok {
		return "met"
	}
	return "**missed** (" + miss + ")"
}

func cpuModel() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return "unknown"
	}
	for line := range strings.Lines(string(b)) {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return "unknown"
}
