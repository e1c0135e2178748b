package coldstart

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// Lambda gives a function's init phase the full CPU and its invocations the
// share its memory size buys: 1,769 MB buys one vCPU.
const (
	MBPerVCPU   = 1769
	QuotaPeriod = 100 * time.Millisecond
)

// CPUQuota is the CPU time per QuotaPeriod that memoryMB buys
// (128 MB: about 7.2 ms per 100 ms).
func CPUQuota(memoryMB int) time.Duration {
	return QuotaPeriod * time.Duration(memoryMB) / MBPerVCPU
}

// ErrNoCPUQuota says that no CPU quota can be set on this machine: neither
// the cgroup v1 cpu controller nor a cgroup v2 hierarchy with cpu is
// mounted and writable (both need root).
var ErrNoCPUQuota = errors.New("coldstart: no CPU quota can be set here (needs root and the cgroup v1 cpu controller or cgroup v2 cpu.max)")

// CPULimit is one cgroup of its own that holds the processes added to it
// to a CPU quota, v1 (cpu.cfs_quota_us) or v2 (cpu.max).
type CPULimit struct {
	dir string
	v2  bool
}

var cgroupSeq atomic.Int64

// NewCPULimit makes a fresh cgroup, with no quota yet, under root (where
// the cgroup filesystems are mounted: /sys/fs/cgroup). It prefers the v1
// cpu controller (root/cpu) and falls back to a v2 hierarchy at root.
func NewCPULimit(root string) (*CPULimit, error) {
	name := fmt.Sprintf("plexauth-coldstart-%d-%d", os.Getpid(), cgroupSeq.Add(1))
	l := &CPULimit{}
	if _, err := os.Stat(filepath.Join(root, "cpu", "cpu.cfs_quota_us")); err == nil {
		l.dir = filepath.Join(root, "cpu", name)
	} else if b, err := os.ReadFile(filepath.Join(root, "cgroup.controllers")); err == nil && hasWord(string(b), "cpu") {
		// The child's cpu.max exists only once the parent delegates cpu.
		if err := write(filepath.Join(root, "cgroup.subtree_control"), "+cpu"); err != nil {
			return nil, fmt.Errorf("%w: %v", ErrNoCPUQuota, err)
		}
		l.dir, l.v2 = filepath.Join(root, name), true
	} else {
		return nil, ErrNoCPUQuota
	}
	if err := os.Mkdir(l.dir, 0o755); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrNoCPUQuota, err)
	}
	if err := l.Unlimit(); err != nil {
		os.Remove(l.dir)
		return nil, fmt.Errorf("%w: %v", ErrNoCPUQuota, err)
	}
	return l, nil
}

// Add moves the process pid (all its threads) into the cgroup.
func (l *CPULimit) Add(pid int) error {
	return write(filepath.Join(l.dir, "cgroup.procs"), strconv.Itoa(pid))
}

// Limit holds the cgroup to quota of CPU time per QuotaPeriod.
func (l *CPULimit) Limit(quota time.Duration) error {
	us := max(quota.Microseconds(), 1000) // the kernel's minimum quota is 1 ms
	return l.set(strconv.FormatInt(us, 10))
}

// Unlimit lifts the quota.
func (l *CPULimit) Unlimit() error {
	if l.v2 {
		return l.set("max")
	}
	return l.set("-1")
}

func (l *CPULimit) set(quota string) error {
	period := strconv.FormatInt(QuotaPeriod.Microseconds(), 10)
	if l.v2 {
		return write(filepath.Join(l.dir, "cpu.max"), quota+" "+period)
	}
	// The period first: a quota is checked against the current period.
	if err := write(filepath.Join(l.dir, "cpu.cfs_period_us"), period); err != nil {
		return err
	}
	return write(filepath.Join(l.dir, "cpu.cfs_quota_us"), quota)
}

// Close removes the cgroup; its processes must have exited.
func (l *CPULimit) Close() error { return os.Remove(l.dir) }

func write(path, v string) error { return os.WriteFile(path, []byte(v+"\n"), 0o644) }

func hasWord(s, w string) bool {
	for f := range strings.FieldsSeq(s) {
		if f == w {
			return true
		}
	}
	return false
}
