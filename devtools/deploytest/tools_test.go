package deploytest

import (
	"bytes"
	"debug/elf"
	"io"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strings"
	"testing"
)

// needTool returns the path of a command-line tool. A missing tool skips the
// test on a developer machine and fails it in CI (CI set and non-empty).
func needTool(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s is not installed (required when CI is set)", name)
		}
		t.Skipf("%s is not installed; skipping (install it, or set CI to make this a failure)", name)
	}
	return p
}

// makeEnv is the environment for a nested make: without the outer make's
// flags (make test may run under -j or -k) and without ARTIFACTS_DIR.
func makeEnv(extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		switch k {
		case "MAKEFLAGS", "MFLAGS", "MAKELEVEL", "MAKEOVERRIDES", "ARTIFACTS_DIR", "GO", "BUILD_DIR":
			continue
		}
		env = append(env, kv)
	}
	return append(env, extra...)
}

func TestCfnLint(t *testing.T) {
	if testing.Short() {
		t.Skip("runs cfn-lint (seconds of Python start-up); skipped with -short")
	}
	t.Parallel() // a few seconds of Python start-up
	bin := needTool(t, "cfn-lint")
	cmd := exec.Command(bin, "template.yaml")
	cmd.Dir = repoRoot(t)
	out, err := cmd.CombinedOutput()
	if err != nil || len(bytes.TrimSpace(out)) != 0 {
		t.Errorf("cfn-lint template.yaml: %v\n%s", err, out)
	}
}

// goBuildLines runs `make -n <args>` and returns the go build command lines.
func goBuildLines(t *testing.T, makeBin string, env []string, args ...string) []string {
	t.Helper()
	cmd := exec.Command(makeBin, append([]string{"-n", "--no-print-directory"}, args...)...)
	cmd.Dir = repoRoot(t)
	cmd.Env = env
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("make -n %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	var lines []string
	for _, l := range strings.Split(string(out), "\n") {
		if strings.Contains(l, " build ") && strings.Contains(l, " -o ") {
			lines = append(lines, strings.ReplaceAll(l, `"`, ""))
		}
	}
	return lines
}

// TestMakeTargets checks that sam's build-<LogicalId> targets compile each
// function's own folder with exactly the command `make build` uses.
func TestMakeTargets(t *testing.T) {
	makeBin := needTool(t, "make")
	artifacts := "/artifacts-dir"
	all := goBuildLines(t, makeBin, makeEnv(), "build", "BUILD_DIR=out")
	if len(all) != len(wantFunctions) {
		t.Fatalf("make build runs %d go builds, want %d:\n%s", len(all), len(wantFunctions), strings.Join(all, "\n"))
	}
	for _, f := range wantFunctions {
		t.Run(f.id, func(t *testing.T) {
			lines := goBuildLines(t, makeBin, makeEnv("ARTIFACTS_DIR="+artifacts), "build-"+f.id)
			if len(lines) != 1 {
				t.Fatalf("make build-%s runs %d go builds, want 1: %q", f.id, len(lines), lines)
			}
			sam := lines[0]
			for _, want := range []string{
				"CGO_ENABLED=0", "GOOS=linux", "GOARCH=arm64", "-tags lambda.norpc", "-trimpath", "-ldflags=-s",
				"-o " + artifacts + "/bootstrap",
			} {
				if !strings.Contains(sam, want) {
					t.Errorf("build-%s lacks %q: %s", f.id, want, sam)
				}
			}
			if !strings.HasSuffix(sam, " "+f.pkg) {
				t.Errorf("build-%s does not build %s: %s", f.id, f.pkg, sam)
			}
			// The same command as make build, output path aside.
			local := "out/" + path.Base(f.pkg) + "/bootstrap"
			var match string
			for _, l := range all {
				if strings.Contains(l, "-o "+local+" ") {
					match = l
				}
			}
			if got := strings.Replace(match, local, artifacts+"/bootstrap", 1); got != sam {
				t.Errorf("build-%s and make build differ:\n  sam:  %s\n  make: %s", f.id, sam, match)
			}
		})
	}
	// Outside sam, ARTIFACTS_DIR is unset: the target must stop, not write
	// to /bootstrap.
	cmd := exec.Command(makeBin, "-n", "build-"+wantFunctions[0].id)
	cmd.Dir = repoRoot(t)
	cmd.Env = makeEnv()
	if out, err := cmd.CombinedOutput(); err == nil || !strings.Contains(string(out), "ARTIFACTS_DIR") {
		t.Errorf("build-%s without ARTIFACTS_DIR: err = %v, output %q; want a stop naming ARTIFACTS_DIR", wantFunctions[0].id, err, out)
	}
}

// TestBuildArm64 builds every bootstrap the way make build does and
// checks they are what provided.al2023 on arm64 runs: static aarch64 ELF
// executables named bootstrap.
func TestBuildArm64(t *testing.T) {
	if testing.Short() {
		t.Skip("builds every function's binary; skipped with -short")
	}
	t.Parallel()
	makeBin := needTool(t, "make")
	out := t.TempDir()
	cmd := exec.Command(makeBin, "--no-print-directory", "build", "BUILD_DIR="+out)
	cmd.Dir = repoRoot(t)
	cmd.Env = makeEnv()
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("make build: %v\n%s", err, b)
	}
	for _, f := range wantFunctions {
		t.Run(f.id, func(t *testing.T) {
			bin := filepath.Join(out, path.Base(f.pkg), "bootstrap")
			ef, err := elf.Open(bin)
			if err != nil {
				t.Fatal(err)
			}
			defer ef.Close()
			if ef.Class != elf.ELFCLASS64 || ef.Machine != elf.EM_AARCH64 || ef.Type != elf.ET_EXEC {
				t.Errorf("%s: class %v, machine %v, type %v; want a 64-bit aarch64 executable", bin, ef.Class, ef.Machine, ef.Type)
			}
			for _, p := range ef.Progs {
				if p.Type == elf.PT_INTERP {
					t.Errorf("%s is dynamically linked; want static (CGO_ENABLED=0)", bin)
				}
			}
		})
	}
}

// TestCIVersionsBlock runs the "== versions" block of .ci/run with each tool
// stubbed by one that prints far more than a pipe holds. Under pipefail, a
// reader that exits early (head -n 1) kills the writer with SIGPIPE and fails
// CI (exit 141) on whichever machine happens to be slow enough.
func TestCIVersionsBlock(t *testing.T) {
	script, err := os.ReadFile(filepath.Join(repoRoot(t), ".ci", "run"))
	if err != nil {
		t.Fatal(err)
	}
	_, block, ok := strings.Cut(string(script), "echo \"== versions\"\n")
	if !ok {
		t.Fatal(`.ci/run has no echo "== versions" line`)
	}
	block, _, ok = strings.Cut(block, "echo \"== make test\"")
	if !ok {
		t.Fatal(`.ci/run has no echo "== make test" line after its versions`)
	}
	seq := needTool(t, "seq")
	stubs := t.TempDir()
	for _, tool := range []string{"go", "gcc", "make", "cfn-lint", "python3"} {
		stub := "#!/bin/sh\nexec " + seq + " 300000\n" // about 2 MB, far over a 64 KiB pipe
		if err := os.WriteFile(filepath.Join(stubs, tool), []byte(stub), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command("bash", "-c", "set -euo pipefail\n"+block)
	cmd.Env = append(os.Environ(), "PATH="+stubs+string(os.PathListSeparator)+os.Getenv("PATH"))
	cmd.Stdout = io.Discard
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		t.Errorf(".ci/run's versions block fails when a tool prints a lot: %v\n%s", err, stderr.String())
	}
}
