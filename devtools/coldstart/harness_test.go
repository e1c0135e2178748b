package coldstart

import (
	"testing"
	"time"
)

func TestParseVmHWM(t *testing.T) {
	tests := []struct {
		in   string
		want int64
		ok   bool
	}{
		{"Name:\tbootstrap\nVmPeak:\t 1000 kB\nVmHWM:\t   12345 kB\nVmRSS:\t 100 kB\n", 12345 << 10, true},
		{"Name:\tbootstrap\n", 0, false},
		{"VmHWM:\t12 MB\n", 0, false},
	}
	for _, tt := range tests {
		got, err := parseVmHWM(tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("parseVmHWM(%q) = %d, %v; want %d ok=%v", tt.in, got, err, tt.want, tt.ok)
		}
	}
}

func TestQuantile(t *testing.T) {
	ms := func(v ...int) []time.Duration {
		var out []time.Duration
		for _, x := range v {
			out = append(out, time.Duration(x)*time.Millisecond)
		}
		return out
	}
	tests := []struct {
		in   []time.Duration
		q    float64
		want time.Duration
	}{
		{nil, 0.5, 0},
		{ms(5), 0.5, 5 * time.Millisecond},
		{ms(3, 1, 2), 0.5, 2 * time.Millisecond},
		{ms(4, 1, 3, 2), 0.5, 2 * time.Millisecond},
		{ms(10, 1, 2, 3, 4, 5, 6, 7, 8, 9), 0.9, 9 * time.Millisecond},
	}
	for _, tt := range tests {
		if got := Quantile(tt.in, tt.q); got != tt.want {
			t.Errorf("Quantile(%v, %v) = %v, want %v", tt.in, tt.q, got, tt.want)
		}
	}
}
