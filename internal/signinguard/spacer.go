package signinguard

import (
	"crypto/sha256"
	"sync"
	"time"
)

// Spacer lets through at most one event per key per interval (PIN checks,
// one key per PIN), remembering a bounded number of keys, in one process.
// It is safe for concurrent use.
type Spacer struct {
	interval time.Duration
	mu       sync.Mutex
	next     *lru[[sha256.Size]byte] // when each key may go again
}

// NewSpacer returns a Spacer of interval remembering at most max keys (0:
// DefaultMaxTracked). Past that the oldest are forgotten, which at worst lets
// one event through early.
func NewSpacer(interval time.Duration, max int) *Spacer {
	if max <= 0 {
		max = DefaultMaxTracked
	}
	return &Spacer{interval: interval, next: newLRU[[sha256.Size]byte](max)}
}

// Admit reports whether key may go now (and counts it), or else how long
// until it may.
func (s *Spacer) Admit(key string) (wait time.Duration, held bool) {
	if s.interval <= 0 {
		return 0, false
	}
	k := sha256.Sum256([]byte(key))
	now := time.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	if until, ok := s.next.get(k); ok && now.Before(until) {
		return until.Sub(now), true
	}
	s.next.put(k, now.Add(s.interval), now)
	return 0, false
}
