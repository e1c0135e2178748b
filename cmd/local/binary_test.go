package main

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"

	"github.com/plexauth/plexauth/internal/api/apitest"
)

// TestBinary builds the command and runs it as `make run` does: it serves
// the printed lines and exits 0 on Ctrl-C (SIGINT).
func TestBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs cmd/local; skipped with -short")
	}
	if runtime.GOOS == "windows" {
		t.Skip("SIGINT cannot be sent to a process on windows")
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("the go tool is not on PATH")
		}
		t.Skip("the go tool is not on PATH")
	}
	bin := filepath.Join(t.TempDir(), "local")
	if out, err := exec.Command(goTool, "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}

	cmd := exec.Command(bin, "-addr", "127.0.0.1:0")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	logs := &apitest.LogBuffer{}
	cmd.Stderr = logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := false
	t.Cleanup(func() {
		if !exited {
			cmd.Process.Kill()
			cmd.Wait()
		}
	})

	var curls []string
	sc := bufio.NewScanner(stdout)
	for sc.Scan() && !strings.HasSuffix(sc.Text(), "Ctrl-C stops.") {
		// The PIN walk-through's lines have values to fill in: not these.
		if line := strings.TrimSpace(sc.Text()); strings.HasPrefix(line, "curl ") && !strings.Contains(line, "<id>") && !strings.Contains(line, "<code>") {
			curls = append(curls, line)
		}
	}
	if len(curls) == 0 {
		t.Fatalf("no curl lines printed; stderr: %s", logs)
	}
	r, err := curlRequest(curls[0])
	if err != nil {
		t.Fatal(err)
	}
	if status, _, body := do(t, r); status != 200 {
		t.Errorf("%s: %d %v", r.URL.Path, status, body)
	}

	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	err = cmd.Wait()
	exited = true
	if err != nil || cmd.ProcessState.ExitCode() != 0 {
		t.Fatalf("after SIGINT: %v (exit code %d), want exit code 0; stderr: %s", err, cmd.ProcessState.ExitCode(), logs)
	}
}
