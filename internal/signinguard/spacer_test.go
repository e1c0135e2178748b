package signinguard

import (
	"fmt"
	"testing"
	"testing/synctest"
	"time"
)

func TestSpacer(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := NewSpacer(2*time.Second, 3)
		steps := []struct {
			after time.Duration
			key   string
			held  bool
			wait  time.Duration
		}{
			{0, "a", false, 0},
			{0, "a", true, 2 * time.Second},
			{0, "b", false, 0}, // keys are apart
			{1500 * time.Millisecond, "a", true, 500 * time.Millisecond},
			{500 * time.Millisecond, "a", false, 0},
			{time.Second, "a", true, time.Second},
		}
		for i, st := range steps {
			time.Sleep(st.after)
			wait, held := s.Admit(st.key)
			if held != st.held || wait != st.wait {
				t.Errorf("step %d (%s): held %v wait %v, want %v %v", i, st.key, held, wait, st.held, st.wait)
			}
		}
		// Bounded: past max keys the oldest is forgotten.
		for i := range 5 {
			s.Admit(fmt.Sprint("k", i))
		}
		if n := s.next.len(); n > 3 {
			t.Errorf("%d keys remembered, want at most 3", n)
		}
	})
}

func TestSpacerOff(t *testing.T) {
	s := NewSpacer(0, 0)
	for range 3 {
		if _, held := s.Admit("a"); held {
			t.Fatal("a zero interval held an event")
		}
	}
}
