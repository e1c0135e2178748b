package main

import (
	"fmt"
	"io"
	"math"
	"regexp"
	"slices"
	"strconv"
)

// coldCase is one "case=smA-plexB/mem=M" group of BenchmarkColdStart.
type coldCase struct {
	sm, plex float64 // round trips, ms
	mem      string  // "full" or MB
}

var caseRE = regexp.MustCompile(`^coldstart\.ColdStart/case=sm(\d+)-plex(\d+)/mem=(\w+)/`)

// coldCases lists the groups in the order they ran.
func (r result) coldCases() []coldCase {
	var out []coldCase
	for _, n := range r.names {
		m := caseRE.FindStringSubmatch(n)
		if m == nil {
			continue
		}
		sm, _ := strconv.ParseFloat(m[1], 64)
		px, _ := strconv.ParseFloat(m[2], 64)
		c := coldCase{sm, px, m[3]}
		if !slices.Contains(out, c) {
			out = append(out, c)
		}
	}
	return out
}

func (c coldCase) name(fn, variant string) string {
	return fmt.Sprintf("coldstart.ColdStart/case=sm%.0f-plex%.0f/mem=%s/fn=%s/variant=%s", c.sm, c.plex, c.mem, fn, variant)
}

func (c coldCase) label() string {
	cpu := "full CPU"
	if c.mem != "full" {
		cpu = c.mem + " MB CPU share"
	}
	return fmt.Sprintf("Secrets Manager %.0f ms, Plex %.0f ms, %s", c.sm, c.plex, cpu)
}

// limit is the physical limit of a first answer: process start, the longer
// of the Secrets Manager connection + fetch (3 round trips) and the Plex
// connection (2), then the Plex call (1).
func (r result) limit(c coldCase) float64 {
	return r.median(c.name("hello", "runtime"), "ms/first-answer") + max(3*c.sm, 2*c.plex) + c.plex
}

func (r *report) writeCold(w io.Writer) {
	p := func(format string, a ...any) { fmt.Fprintf(w, format, a...) }
	cases := r.cold.coldCases()
	p("## Cold start under Lambda's CPU rules: process start to first answer (%d runs each)\n\n", r.count)
	if len(cases) == 0 {
		p("No cold-start results.\n\n")
		return
	}
	const fa = "ms/first-answer"
	for _, c := range cases {
		limit := r.cold.limit(c)
		latency := c.sm > 0 || c.plex > 0
		strict := c.mem == "128" && c.sm != c.plex // the 1.15x-of-limit target's cases
		p("### %s (limit %.1f ms)\n\n", c.label(), limit)
		p("| function | first answer median (ms) | p90 | init (ms) | naive (ms) | floor (ms) | / naive | / floor | / limit | targets |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|---|\n")
		for _, f := range append(slices.Clone(functions), "transient (background)") {
			fn, variant := f, "overlap"
			if f == "transient (background)" {
				fn, variant = "transient", "background"
			}
			o, n := c.name(fn, variant), c.name(fn, "naive")
			if r.cold.vals[o] == nil {
				continue
			}
			v := r.cold.median(o, fa)
			naive, floor := r.cold.median(n, fa), r.cold.median(c.name("sdkfloor", "floor"), fa)
			var verdicts []string
			if variant == "overlap" {
				verdicts = append(verdicts, target(v/naive, 1.0, "≤ 1.0x naive"))
				if latency {
					verdicts = append(verdicts, target(v/naive, 0.75, "≤ 0.75x naive"))
				}
				if strict {
					verdicts = append(verdicts, target(v/limit, 1.15, "≤ 1.15x limit"))
				}
			} else {
				verdicts = append(verdicts, "alternative design")
			}
			p("| %s | %.1f | %.1f | %.1f | %.1f | %.1f | %.2fx | %.2fx | %.2fx | %s |\n", f, v, r.cold.p90(o, fa),
				r.cold.median(o, "ms/init"), naive, floor, v/naive, v/floor, v/limit, join(verdicts))
		}
		h := c.name("hello", "runtime")
		p("| hello-world (process start) | %.1f | %.1f | %.1f | | | | | | |\n\n", r.cold.median(h, fa), r.cold.p90(h, fa), r.cold.median(h, "ms/init"))
	}

	p("## Warm latency and peak memory after the cold start (same runs)\n\n")
	p("Warm limit: one Plex round trip plus the hello-world's warm invocation. The floor's warm call goes to Secrets Manager, not Plex, so its latency is shown, not compared; its peak memory is (same SDK, same TLS).\n\n")
	p("| case | function | warm p50 (ms) | warm p99 (ms) | p50 / warm limit | p99 / warm limit | peak RSS (MiB) | / floor's | target ≤ 1.1x floor's |\n|---|---|---:|---:|---:|---:|---:|---:|---|\n")
	for _, c := range cases {
		hw := r.cold.median(c.name("hello", "runtime"), "ms/warm-p50")
		fl := c.name("sdkfloor", "floor")
		p("| %s | floor | %.2f | %.2f | | | %.1f | | |\n", c.label(), r.cold.median(fl, "ms/warm-p50"), r.cold.median(fl, "ms/warm-p99"), r.cold.median(fl, "MiB/peak-RSS"))
		for _, f := range functions {
			o := c.name(f, "overlap")
			p50, p99, rss := r.cold.median(o, "ms/warm-p50"), r.cold.median(o, "ms/warm-p99"), r.cold.median(o, "MiB/peak-RSS")
			frss := r.cold.median(fl, "MiB/peak-RSS")
			p("| | %s | %.2f | %.2f | %.2fx | %.2fx | %.1f | %.2fx | %s |\n", f, p50, p99, p50/(c.plex+hw), p99/(c.plex+hw), rss, rss/frss, target(rss/frss, 1.1, "≤ 1.1x"))
		}
	}
	p("\n")
	r.writeMemory(w, cases)
}

// Arm64 list prices (us-east-1, first tier), as stated in the method.
const (
	pricePerRequest = 0.20 / 1e6
	pricePerGBs     = 0.0000133334
)

func (r *report) writeMemory(w io.Writer, cases []coldCase) {
	p := func(format string, a ...any) { fmt.Fprintf(w, format, a...) }
	p("## Memory size\n\n")
	p("Medians over the four functions; cost per million warm invocations = requests + GB-seconds, each billed by its warm p50 rounded up to the millisecond.\n\n")
	p("| case | memory (MB) | first answer (ms) | / limit | warm p50 (ms) | warm p99 (ms) | cost per 1M invocations (USD) |\n|---|---:|---:|---:|---:|---:|---:|\n")
	type row struct {
		mem              int
		first, p50, cost float64
	}
	best := map[int][]float64{} // mem -> per-case cost, first
	var rows []row
	for _, c := range cases {
		mb, err := strconv.Atoi(c.mem)
		if err != nil || c.sm == c.plex {
			continue
		}
		var first, p50, p99 []float64
		for _, f := range functions {
			o := c.name(f, "overlap")
			first = append(first, r.cold.median(o, "ms/first-answer"))
			p50 = append(p50, r.cold.median(o, "ms/warm-p50"))
			p99 = append(p99, r.cold.median(o, "ms/warm-p99"))
		}
		fa, w50 := quantile(first, 0.5), quantile(p50, 0.5)
		cost := 1e6 * (pricePerRequest + float64(mb)/1024*math.Ceil(w50)/1000*pricePerGBs)
		rows = append(rows, row{mb, fa, w50, cost})
		best[mb] = append(best[mb], fa, cost)
		p("| %s | %d | %.1f | %.2fx | %.2f | %.2f | %.2f |\n", c.label(), mb, fa, fa/r.cold.limit(c), w50, quantile(p99, 0.5), cost)
	}
	if len(rows) == 0 {
		p("\nNo memory sizes were measured (no CPU quota could be set).\n\n")
		return
	}
	// Recommend the cheapest size whose first answer is within 10% of the
	// fastest size's in every case.
	sizes := slices.Sorted(func(yield func(int) bool) {
		for m := range best {
			if !yield(m) {
				return
			}
		}
	})
	fastest := map[int]float64{} // case index -> fastest first answer
	for _, m := range sizes {
		for i := 0; i < len(best[m]); i += 2 {
			if f, ok := fastest[i]; !ok || best[m][i] < f {
				fastest[i] = best[m][i]
			}
		}
	}
	rec, recCost := 0, math.Inf(1)
	for _, m := range sizes {
		ok, cost := true, 0.0
		for i := 0; i < len(best[m]); i += 2 {
			ok = ok && best[m][i] <= 1.1*fastest[i]
			cost += best[m][i+1]
		}
		if ok && cost < recCost {
			rec, recCost = m, cost
		}
	}
	p("\n**Recommendation: %d MB**: the cheapest size per million invocations whose first answer is within 10%% of the fastest size's in every case (the warm path waits on Plex, not on the CPU, so a larger size buys little and costs in proportion). template.yaml's Globals set MemorySize to it.\n\n", rec)
}

func target(v, bound float64, what string) string {
	if v <= bound {
		return what + ": met"
	}
	return fmt.Sprintf("%s: **missed** by %.2fx", what, v-bound)
}

func join(s []string) string {
	out := ""
	for i, v := range s {
		if i > 0 {
			out += "; "
		}
		out += v
	}
	return out
}
