package motoserver_test

import (
	"fmt"
	"runtime"
	"strings"
	"testing"

	"github.com/plexauth/plexauth/devtools/motoserver"
)

// fakeTB records how StartServer gives up, without ending the real test.
type fakeTB struct {
	testing.TB
	outcome string
}

func (f *fakeTB) Helper()                   {}
func (f *fakeTB) Skip(args ...any)          { f.end("skip", args...) }
func (f *fakeTB) Fatal(args ...any)         { f.end("fatal", args...) }
func (f *fakeTB) Fatalf(s string, a ...any) { f.end("fatal", fmt.Sprintf(s, a...)) }
func (f *fakeTB) end(kind string, args ...any) {
	f.outcome = kind + ": " + fmt.Sprint(args...)
	runtime.Goexit()
}

func TestMissingBinary(t *testing.T) {
	tests := []struct {
		ci   string
		want string
	}{
		{"", "skip: moto_server is not on PATH"},
		{"true", "fatal: moto_server is not on PATH and CI is set"},
	}
	for _, tt := range tests {
		t.Run("CI="+tt.ci, func(t *testing.T) {
			t.Setenv("PATH", t.TempDir())
			t.Setenv("CI", tt.ci)
			f := &fakeTB{TB: t}
			done := make(chan struct{})
			go func() {
				defer close(done)
				motoserver.StartServer(f)
			}()
			<-done
			if !strings.HasPrefix(f.outcome, tt.want) {
				t.Errorf("outcome %q, want %q…", f.outcome, tt.want)
			}
		})
	}
}
