package endpoint

import (
	"flag"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/plexauth/plexauth/devtools/apispec"
	"github.com/plexauth/plexauth/internal/api/apitest"
)

// spec is openapi.yaml; TestMain checks every answer the handler tests
// produce against it.
var spec *apispec.Spec

// TestMain checks each answer apitest.Invoke gets, in every test of this
// package, against openapi.yaml, and after a full run that every status it
// documents was produced by some case: a status it lists that no handler
// gives fails the run too.
func TestMain(m *testing.M) {
	flag.Parse()
	s, err := apispec.Load()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	spec = s
	apitest.Observe(func(t testing.TB, ev events.APIGatewayV2HTTPRequest, r apitest.Response) {
		t.Helper()
		if err := s.Check(ev, r.Status, r.Headers, r.Body); err != nil {
			t.Errorf("%s does not describe this answer: %v\nbody %s", apispec.File, err, r.Body)
		}
	})
	code := m.Run()
	if code == 0 && fullRun() {
		if missing := s.Missing(); len(missing) > 0 {
			fmt.Fprintf(os.Stderr, "FAIL: %s documents answers no handler test produced (add a case, or drop them from it):\n  %s\n",
				apispec.File, strings.Join(missing, "\n  "))
			code = 1
		}
	}
	os.Exit(code)
}

// fullRun reports whether every test ran, so that Missing means something
// (go test -list runs none: make fuzz lists the targets that way).
func fullRun() bool {
	for _, name := range []string{"test.run", "test.skip", "test.list"} {
		if f := flag.Lookup(name); f != nil && f.Value.String() != "" {
			return false
		}
	}
	return true
}

// TestSpecRoutes: openapi.yaml describes exactly the routes of All, each
// with its methods.
func TestSpecRoutes(t *testing.T) {
	ops := spec.Operations()
	for _, r := range All {
		want := slices.Sorted(slices.Values(r.Methods))
		got, ok := ops[r.Path]
		switch {
		case !ok:
			t.Errorf("%s lacks %s %s (endpoint %s): add its path", apispec.File, strings.Join(r.Methods, ","), r.Path, r.Name)
		case !slices.Equal(got, want):
			t.Errorf("%s: %s has methods %v, endpoint %s takes %v", apispec.File, r.Path, got, r.Name, want)
		}
		delete(ops, r.Path)
	}
	for path := range ops {
		t.Errorf("%s describes %s, which is no route of endpoint.All", apispec.File, path)
	}
}
