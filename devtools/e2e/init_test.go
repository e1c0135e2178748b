package e2e

import (
	"errors"
	"os/exec"
	"slices"
	"strings"
	"testing"

	"github.com/plexauth/plexauth/devtools/runtimeapi"
)

// TestInitFailure starts each function without PLEX_CLIENT_IDENTIFIER: it
// must end with a non-zero status before asking for work, and say why in one
// JSON line naming the setting. The settings are checked before any AWS
// call, so no Secrets Manager is needed.
func TestInitFailure(t *testing.T) {
	for _, f := range functions {
		t.Run(f.name, func(t *testing.T) {
			t.Parallel()
			env := slices.DeleteFunc(functionEnv(f.name, "http://127.0.0.1:9", "http://127.0.0.1:9", "plexauth-init"),
				func(kv string) bool { return strings.HasPrefix(kv, "PLEX_CLIENT_IDENTIFIER=") })
			in := start(t, f, env)

			var exit *exec.ExitError
			if err := waitExit(t, in); !errors.As(err, &exit) || exit.ExitCode() == 0 {
				t.Fatalf("exit: %v, want a non-zero status", err)
			}
			lines := in.lines()
			if len(lines) != 1 || lines[0].fields == nil {
				t.Fatalf("output %q: want one JSON line", in.proc.Output())
			}
			if l := lines[0].fields; l["level"] != "ERROR" || l["setting"] != "PLEX_CLIENT_IDENTIFIER" {
				t.Errorf("log line %s: want level ERROR naming PLEX_CLIENT_IDENTIFIER", lines[0].raw)
			}
			// An invocation now fails at once rather than waiting for a runtime.
			if _, err := in.srv.Invoke(t.Context(), authorized(f.ok).JSON(), invokeTimeout); !errors.Is(err, runtimeapi.ErrProcessExited) {
				t.Errorf("invoke after the exit: %v, want ErrProcessExited", err)
			}
		})
	}
}
