package coldstart

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestCPUQuota(t *testing.T) {
	for _, tt := range []struct {
		mb   int
		want time.Duration
	}{
		{128, 7235726}, // 100 ms × 128/1769
		{256, 14471452},
		{512, 28942905},
		{1769, QuotaPeriod},
	} {
		if got := CPUQuota(tt.mb); got != tt.want {
			t.Errorf("CPUQuota(%d) = %v, want %v", tt.mb, got, tt.want)
		}
	}
}

// TestCPULimit writes a fake cgroup tree in a temporary directory: the file
// writing runs everywhere; only the benchmarks use the real cgroups.
func TestCPULimit(t *testing.T) {
	read := func(t *testing.T, dir, name string) string {
		t.Helper()
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		return strings.TrimSpace(string(b))
	}
	for _, tt := range []struct {
		name      string
		layout    map[string]string // files under root
		base      string            // where the child cgroup goes
		unlimited map[string]string
		limited   map[string]string // after Limit(CPUQuota(128))
	}{
		{"v1", map[string]string{"cpu/cpu.cfs_quota_us": "-1"}, "cpu",
			map[string]string{"cpu.cfs_period_us": "100000", "cpu.cfs_quota_us": "-1"},
			map[string]string{"cpu.cfs_period_us": "100000", "cpu.cfs_quota_us": "7235"}},
		{"v2", map[string]string{"cgroup.controllers": "cpuset cpu io memory"}, ".",
			map[string]string{"cpu.max": "max 100000"},
			map[string]string{"cpu.max": "7235 100000"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			root := t.TempDir()
			for p, v := range tt.layout {
				os.MkdirAll(filepath.Dir(filepath.Join(root, p)), 0o755)
				if err := os.WriteFile(filepath.Join(root, p), []byte(v), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			l, err := NewCPULimit(root)
			if err != nil {
				t.Fatal(err)
			}
			if filepath.Dir(l.dir) != filepath.Join(root, tt.base) {
				t.Fatalf("cgroup %s, want one under %s", l.dir, tt.base)
			}
			if tt.name == "v2" && read(t, root, "cgroup.subtree_control") != "+cpu" {
				t.Error("the v2 parent does not delegate cpu")
			}
			for f, want := range tt.unlimited {
				if got := read(t, l.dir, f); got != want {
					t.Errorf("new cgroup: %s = %q, want %q", f, got, want)
				}
			}
			if err := l.Add(4242); err != nil || read(t, l.dir, "cgroup.procs") != "4242" {
				t.Errorf("Add: %v, cgroup.procs not the pid", err)
			}
			if err := l.Limit(CPUQuota(128)); err != nil {
				t.Fatal(err)
			}
			for f, want := range tt.limited {
				if got := read(t, l.dir, f); got != want {
					t.Errorf("Limit: %s = %q, want %q", f, got, want)
				}
			}
			if err := l.Limit(time.Microsecond); err != nil {
				t.Fatal(err)
			}
			if f := map[string]string{"v1": "cpu.cfs_quota_us", "v2": "cpu.max"}[tt.name]; !strings.HasPrefix(read(t, l.dir, f), "1000") {
				t.Errorf("a quota under the kernel's 1 ms minimum: %s = %q, want 1000", f, read(t, l.dir, f))
			}
			if err := l.Unlimit(); err != nil {
				t.Fatal(err)
			}
			for f, want := range tt.unlimited {
				if got := read(t, l.dir, f); got != want {
					t.Errorf("Unlimit: %s = %q, want %q", f, got, want)
				}
			}
		})
	}
	t.Run("none", func(t *testing.T) {
		root := t.TempDir()
		os.WriteFile(filepath.Join(root, "cgroup.controllers"), []byte("io memory"), 0o644)
		if _, err := NewCPULimit(root); !errors.Is(err, ErrNoCPUQuota) {
			t.Errorf("NewCPULimit without a cpu controller: %v, want ErrNoCPUQuota", err)
		}
	})
}
