package runtimeapi

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
)

// builds caches one build per package for the life of the test binary. It keeps the bytes, not
// a path: a test's TempDir goes away with the test, and a shared directory would outlive the run.
var builds sync.Map // module-relative package dir -> *build

// buildMu runs one go build at a time. Parallel tests building different functions would
// otherwise each compile the shared dependencies (the AWS SDK, the standard library with
// -trimpath) in its own process, since go build does not share work in progress: on a cold
// cache, eight such builds on two cores took 6m44s; one after the other, 49s.
var buildMu sync.Mutex

type build struct {
	once sync.Once
	bin  []byte
	err  error
}

// Build compiles the main package at pkgDir (relative to the module root, or absolute) the way
// the function is deployed (-tags lambda.norpc -trimpath -ldflags=-s, CGO_ENABLED=0) but for the
// host, and returns the path of a bootstrap binary in t.TempDir(). The compile runs once per
// package per test binary; later calls only copy the result.
//
// With -short it skips the test instead: compiling a function takes seconds, and every test that
// runs a bootstrap starts here (e2e, the emulator's process tests, the cold-start suite).
func Build(t testing.TB, pkgDir string) string {
	t.Helper()
	if testing.Short() {
		t.Skipf("runtimeapi: builds ./%s (go build); skipped with -short", filepath.ToSlash(pkgDir))
	}
	root, err := ModuleRoot()
	if err != nil {
		t.Fatalf("runtimeapi: %v", err)
	}
	rel := pkgDir
	if filepath.IsAbs(rel) {
		if rel, err = filepath.Rel(root, rel); err != nil {
			t.Fatalf("runtimeapi: %v", err)
		}
	}
	rel = filepath.ToSlash(filepath.Clean(rel))
	if rel == ".." || strings.HasPrefix(rel, "../") {
		t.Fatalf("runtimeapi: package %s is outside the module at %s", pkgDir, root)
	}
	v, _ := builds.LoadOrStore(rel, new(build))
	b := v.(*build)
	b.once.Do(func() {
		buildMu.Lock()
		defer buildMu.Unlock()
		b.bin, b.err = goBuild(root, rel)
	})
	if b.err != nil {
		t.Fatalf("runtimeapi: %v", b.err)
	}
	path := filepath.Join(t.TempDir(), "bootstrap")
	if err := os.WriteFile(path, b.bin, 0o755); err != nil {
		t.Fatalf("runtimeapi: %v", err)
	}
	return path
}

// Run starts bootstrap against a new Server with env added (see Start); both are stopped when
// the test ends.
func Run(t testing.TB, bootstrap string, env ...string) (*Server, *Process) {
	t.Helper()
	s := NewServer()
	t.Cleanup(s.Close)
	p, err := Start(t.Context(), bootstrap, s, env)
	if err != nil {
		t.Fatalf("%v", err)
	}
	t.Cleanup(func() { p.Stop() })
	return s, p
}

func goBuild(root, rel string) ([]byte, error) {
	dir, err := os.MkdirTemp("", "runtimeapi-build-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	out := filepath.Join(dir, "bootstrap")
	cmd := exec.Command("go", "build", "-tags", "lambda.norpc", "-trimpath", "-ldflags=-s", "-o", out, "./"+rel)
	cmd.Dir = root
	// GOOS/GOARCH are set explicitly so a cross-compiling environment (the deploy target) does
	// not produce a binary this host cannot run.
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS="+runtime.GOOS, "GOARCH="+runtime.GOARCH)
	if msg, err := cmd.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("go build ./%s: %v\n%s", rel, err, msg)
	}
	return os.ReadFile(out)
}

// ModuleRoot walks up from the working directory (a test's package directory) to go.mod and
// returns the directory holding it.
func ModuleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod above the working directory")
		}
		dir = parent
	}
}
