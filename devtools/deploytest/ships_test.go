package deploytest

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

const module = "github.com/plexauth/plexauth"

// shippedRoots are the module's folders whose packages may be in a Lambda
// binary; within them, a package whose name ends in "test" (plextest,
// apitest, secrettest, redacttest and their subpackages) is a test helper.
var shippedRoots = []string{"functions", "internal", "pkg"}

// notShipped says why a package must not be in a Lambda binary, or "".
func notShipped(importPath string) string {
	switch {
	case importPath == "testing" || strings.HasPrefix(importPath, "testing/"):
		return "the testing package"
	case importPath == "net/http/httptest":
		return "a test server"
	case importPath == "github.com/getkin/kin-openapi" || strings.HasPrefix(importPath, "github.com/getkin/kin-openapi/"):
		return "the OpenAPI validator of the contract tests"
	}
	rel, ok := strings.CutPrefix(importPath, module+"/")
	if !ok {
		return ""
	}
	elems := strings.Split(rel, "/")
	if !slices.Contains(shippedRoots, elems[0]) {
		return "tooling (" + elems[0] + "/), not product code"
	}
	for _, e := range elems {
		if strings.HasSuffix(e, "test") {
			return "a test helper package (" + e + ")"
		}
	}
	return ""
}

// lambdaDeps lists the main packages matching patterns and, for each, every
// package it depends on, as the Lambda build sees them (make build's GOOS,
// GOARCH, cgo setting and tags, which choose the files and so the imports).
func lambdaDeps(t *testing.T, patterns ...string) map[string][]string {
	t.Helper()
	args := append([]string{"list", "-tags", "lambda.norpc", "-f", "{{.ImportPath}}{{range .Deps}} {{.}}{{end}}"}, patterns...)
	cmd := exec.Command("go", args...)
	cmd.Dir = repoRoot(t)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH=arm64")
	out, err := cmd.Output()
	if err != nil {
		var exit *exec.ExitError
		if errors.As(err, &exit) {
			t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, exit.Stderr)
		}
		t.Fatalf("go %s: %v", strings.Join(args, " "), err)
	}
	deps := map[string][]string{}
	for line := range strings.Lines(string(out)) {
		if f := strings.Fields(line); len(f) > 0 {
			deps[f[0]] = f[1:]
		}
	}
	return deps
}

// violations lists, per main package, the dependencies that must not ship.
func violations(deps map[string][]string) map[string][]string {
	bad := map[string][]string{}
	for pkg, ds := range deps {
		for _, d := range ds {
			if notShipped(d) != "" {
				bad[pkg] = append(bad[pkg], d)
			}
		}
	}
	return bad
}

// TestShippedDependencies fails if any function's binary would hold a test,
// bench or simulator package: what ships is functions/, internal/ and
// pkg/plex, without the *test helpers (the README's map says the same).
func TestShippedDependencies(t *testing.T) {
	deps := lambdaDeps(t, "./functions/...")

	// Every folder under functions/ is a function, listed here.
	entries, err := os.ReadDir(filepath.Join(repoRoot(t), "functions"))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if _, ok := deps[module+"/functions/"+e.Name()]; e.IsDir() && !ok {
			t.Errorf("go list ./functions/... does not list functions/%s", e.Name())
		}
	}
	if len(deps) == 0 {
		t.Fatal("no functions listed")
	}
	for pkg, ds := range violations(deps) {
		for _, d := range ds {
			t.Errorf("%s depends on %s: %s", pkg, d, notShipped(d))
		}
	}

	// The check itself: a function importing test code is caught.
	t.Run("catches test code", func(t *testing.T) {
		const leaky = module + "/devtools/deploytest/testdata/leaky"
		got := violations(lambdaDeps(t, "./devtools/deploytest/testdata/leaky"))[leaky]
		for _, want := range []string{
			module + "/devtools/runtimeapi", module + "/internal/api/apitest",
			module + "/pkg/plex/plextest", module + "/pkg/plex/plextest/contract",
			"testing", "net/http/httptest", "github.com/getkin/kin-openapi/openapi3",
		} {
			if !slices.Contains(got, want) {
				t.Errorf("leaky's dependency %s was not reported (reported: %q)", want, got)
			}
		}
	})
}

func TestNotShipped(t *testing.T) {
	tests := []struct {
		path  string
		ships bool
	}{
		{module + "/functions/signin", true},
		{module + "/internal/api", true},
		{module + "/internal/secret", true},
		{module + "/pkg/plex", true},
		{"net/http", true},
		{"internal/testlog", true}, // the standard library's own, in every binary
		{"github.com/aws/aws-lambda-go/lambda", true},
		{module + "/internal/api/apitest", false},
		{module + "/internal/secret/secrettest", false},
		{module + "/internal/redact/redacttest", false},
		{module + "/pkg/plex/plextest", false},
		{module + "/pkg/plex/plextest/contract", false},
		{module + "/devtools/runtimeapi", false},
		{module + "/devtools/motoserver", false},
		{module + "/cmd/local", false},
		{"testing", false},
		{"testing/synctest", false},
		{"net/http/httptest", false},
		{"github.com/getkin/kin-openapi/openapi3", false},
	}
	for _, tt := range tests {
		if why := notShipped(tt.path); (why == "") != tt.ships {
			t.Errorf("notShipped(%q) = %q, want ships %v", tt.path, why, tt.ships)
		}
	}
}
