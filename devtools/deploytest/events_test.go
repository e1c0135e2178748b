package deploytest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"maps"
	"net/url"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/plexauth/plexauth/devtools/apigw"
	"github.com/plexauth/plexauth/internal/config"
	"github.com/plexauth/plexauth/internal/endpoint"
	"github.com/plexauth/plexauth/internal/keepalive"
)

// localCallerKey is the key of the "local" caller that local runs configure.
const localCallerKey = "local-dev-key-change-me"

// decodeStrict decodes JSON and fails on fields dst does not know, so a
// misspelt event field cannot pass unnoticed.
func decodeStrict(t *testing.T, file string, dst any) {
	t.Helper()
	raw, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		t.Fatalf("%s: %v", filepath.Base(file), err)
	}
	if dec.More() {
		t.Fatalf("%s: data after the JSON value", filepath.Base(file))
	}
}

// eventCase is one file under events/: the route it calls and what it must carry.
type eventCase struct {
	file  string
	route string
	check func(t *testing.T, e events.APIGatewayV2HTTPRequest)
}

func TestEvents(t *testing.T) {
	root := repoRoot(t)
	routeOwner := map[string]endpoint.Route{}
	for _, f := range httpFunctions() {
		routeOwner[routeKey(*f.route)] = *f.route
	}
	// What each function's event must carry besides its route.
	checks := map[string]func(t *testing.T, e events.APIGatewayV2HTTPRequest){
		"sources.json": func(t *testing.T, e events.APIGatewayV2HTTPRequest) {
			if got := e.QueryStringParameters["source"]; got != "server://a1b2c3d4e5f6" {
				t.Errorf("source = %q, want the simulator's server://a1b2c3d4e5f6", got)
			}
		},
		"details.json": func(t *testing.T, e events.APIGatewayV2HTTPRequest) {
			if _, ok := e.Headers["x-plex-token"]; ok {
				t.Error("sends x-plex-token; the local example uses the admin token")
			}
		},
		"servers.json": func(t *testing.T, e events.APIGatewayV2HTTPRequest) {
			if got := e.QueryStringParameters["owned"]; got != "true" {
				t.Errorf("owned = %q, want true (the example lists the admin's own servers)", got)
			}
		},
		"pins.json": func(t *testing.T, e events.APIGatewayV2HTTPRequest) {
			var body map[string]any
			if err := json.Unmarshal([]byte(e.Body), &body); err != nil || !strings.HasPrefix(fmt.Sprint(body["forwardUrl"]), "https://") {
				t.Errorf("body = %q, want a forwardUrl example", e.Body)
			}
		},
		"pin.json": func(t *testing.T, e events.APIGatewayV2HTTPRequest) {
			if e.PathParameters["id"] == "" { // which PIN it is, internal/endpoint checks
				t.Error("no id in pathParameters")
			}
		},
		"signin.json": func(t *testing.T, e events.APIGatewayV2HTTPRequest) {
			var body map[string]any
			if err := json.Unmarshal([]byte(e.Body), &body); err != nil {
				t.Fatalf("body: %v", err)
			}
			if body["login"] != "alice" || body["password"] != "correct-horse-battery" {
				t.Errorf("body = %v, want the simulator's alice / correct-horse-battery", body)
			}
		},
	}
	// Every function has its event, named after its folder, on its route.
	var tests []eventCase
	for _, f := range httpFunctions() {
		name := path.Base(f.pkg) + ".json"
		tests = append(tests, eventCase{name, routeKey(*f.route), checks[name]})
		delete(checks, name)
	}
	for name := range checks {
		t.Errorf("a check for events/%s, which no function has", name)
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			var e events.APIGatewayV2HTTPRequest
			decodeStrict(t, filepath.Join(root, "events", tt.file), &e)
			if e.RouteKey != tt.route {
				t.Errorf("routeKey = %q, want %q", e.RouteKey, tt.route)
			}
			checkEventShape(t, e, routeOwner)
			if tt.check != nil {
				tt.check(t, e)
			}
		})
	}
	// Any other event file must still be a valid event for a template route.
	files, err := filepath.Glob(filepath.Join(root, "events", "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	for _, file := range files {
		name := filepath.Base(file)
		if name == "env.json" || slices.ContainsFunc(tests, func(tt eventCase) bool { return tt.file == name }) ||
			slices.ContainsFunc(keepalive.All, func(j keepalive.Job) bool { return j.Name+".json" == name }) {
			continue
		}
		t.Run(name, func(t *testing.T) {
			var e events.APIGatewayV2HTTPRequest
			decodeStrict(t, file, &e)
			checkEventShape(t, e, routeOwner)
		})
	}
}

// checkEventShape checks what API Gateway guarantees for an HTTP API
// payload 2.0 event, that the route exists in the template, and that the
// method is one the endpoint serves (the example answers 200, not 405).
func checkEventShape(t *testing.T, e events.APIGatewayV2HTTPRequest, routeOwner map[string]endpoint.Route) {
	t.Helper()
	if e.Version != "2.0" {
		t.Errorf("version = %q, want 2.0", e.Version)
	}
	h, ok := routeOwner[e.RouteKey]
	if !ok {
		t.Errorf("routeKey %q is not a template route", e.RouteKey)
		return
	}
	rc := e.RequestContext
	if rc.RouteKey != e.RouteKey {
		t.Errorf("requestContext.routeKey = %q, want %q", rc.RouteKey, e.RouteKey)
	}
	// A templated path ("/pins/{id}") matches, with its parameters filled.
	params, matched := apigw.Match(h.Path, rc.HTTP.Path)
	if !slices.Contains(h.Methods, rc.HTTP.Method) || !matched || e.RawPath != rc.HTTP.Path {
		t.Errorf("method/path = %s %s (rawPath %s), want one of %v on %s", rc.HTTP.Method, rc.HTTP.Path, e.RawPath, h.Methods, h.Path)
	}
	if !maps.Equal(params, e.PathParameters) {
		t.Errorf("pathParameters = %v, want %v (from %s)", e.PathParameters, params, h.Path)
	}
	if rc.Stage != "$default" {
		t.Errorf("stage = %q, want $default", rc.Stage)
	}
	for _, field := range []struct{ name, v string }{
		{"accountId", rc.AccountID}, {"apiId", rc.APIID}, {"domainName", rc.DomainName},
		{"domainPrefix", rc.DomainPrefix}, {"requestId", rc.RequestID}, {"http.protocol", rc.HTTP.Protocol},
		{"http.sourceIp", rc.HTTP.SourceIP}, {"http.userAgent", rc.HTTP.UserAgent},
	} {
		if field.v == "" {
			t.Errorf("requestContext.%s is empty", field.name)
		}
	}
	if rc.DomainPrefix != "" && !strings.HasPrefix(rc.DomainName, rc.DomainPrefix+".") {
		t.Errorf("domainName %q does not start with domainPrefix %q", rc.DomainName, rc.DomainPrefix)
	}
	if ts, err := time.Parse("02/Jan/2006:15:04:05 -0700", rc.Time); err != nil {
		t.Errorf("time %q: %v", rc.Time, err)
	} else if ts.UnixMilli()/1000 != rc.TimeEpoch/1000 {
		t.Errorf("time %q and timeEpoch %d disagree", rc.Time, rc.TimeEpoch)
	}
	// API Gateway lower-cases header names in payload 2.0.
	for k := range e.Headers {
		if k != strings.ToLower(k) {
			t.Errorf("header %q is not lower case", k)
		}
	}
	if got := e.Headers["authorization"]; got != "Bearer "+localCallerKey {
		t.Errorf("authorization = %q, want the local caller's bearer key", got)
	}
	q, err := url.ParseQuery(e.RawQueryString)
	if err != nil {
		t.Errorf("rawQueryString: %v", err)
	}
	want := map[string]string{}
	for k, vs := range q {
		want[k] = strings.Join(vs, ",")
	}
	if len(want) != len(e.QueryStringParameters) {
		t.Errorf("queryStringParameters = %v, want %v (from rawQueryString)", e.QueryStringParameters, want)
	}
	for k, v := range want {
		if e.QueryStringParameters[k] != v {
			t.Errorf("queryStringParameters[%q] = %q, want %q", k, e.QueryStringParameters[k], v)
		}
	}
	if e.IsBase64Encoded {
		t.Error("isBase64Encoded: the examples send plain JSON")
	}
	if e.Body != "" {
		if !json.Valid([]byte(e.Body)) {
			t.Error("body is not JSON")
		}
		if ct := e.Headers["content-type"]; !strings.HasPrefix(ct, "application/json") {
			t.Errorf("content-type = %q with a JSON body", ct)
		}
		if cl := e.Headers["content-length"]; cl != "" && cl != strconv.Itoa(len(e.Body)) {
			t.Errorf("content-length = %s, body has %d bytes", cl, len(e.Body))
		}
	}
}

func TestEnvJSON(t *testing.T) {
	tpl := loadTemplate(t)
	var env map[string]map[string]string
	decodeStrict(t, filepath.Join(repoRoot(t), "events", "env.json"), &env)

	// Keyed by logical id only: sam local gives a function the values under
	// its id, and only for variables the template declares.
	ids := resourcesOfType(tpl, "AWS::Serverless::Function")
	if got := sortedKeys(env); !slices.Equal(got, ids) {
		t.Errorf("env.json keys = %v, want the function ids %v", got, ids)
	}
	for _, id := range ids {
		t.Run(id, func(t *testing.T) {
			vars := env[id]
			if got, want := sortedKeys(vars), sortedKeys(declaredEnv(tpl, id)); !slices.Equal(got, want) {
				t.Errorf("variables = %v, want exactly the template's %v", got, want)
			}
			for _, name := range sortedKeys(vars) {
				if vars[name] == "" {
					t.Errorf("%s is empty", name)
				}
			}
			// sam local runs the function in Docker, where 127.0.0.1 is the
			// container itself: local services are reached through the host.
			for _, name := range []string{"PLEX_SERVER_URL", "PLEX_TV_URL", "AWS_ENDPOINT_URL_SECRETS_MANAGER"} {
				u, err := url.Parse(vars[name])
				if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
					t.Errorf("%s = %q, want an http(s) URL", name, vars[name])
					continue
				}
				if h := u.Hostname(); h == "localhost" || h == "127.0.0.1" || h == "::1" {
					t.Errorf("%s = %q: unreachable from the sam local container; use host.docker.internal", name, vars[name])
				}
			}
			// The functions must start with these settings: config.Load
			// refuses plain http to host.docker.internal unless
			// PLEX_ALLOW_HTTP opts in.
			if _, err := config.Load(func(k string) string { return vars[k] }, config.Needs{ServerURL: true}); err != nil {
				t.Errorf("the function would not start: %v", err)
			}
			if d, err := time.ParseDuration(vars["SECRET_TTL"]); err != nil || d <= 0 {
				t.Errorf("SECRET_TTL = %q, want a positive Go duration", vars["SECRET_TTL"])
			}
			if d, err := time.ParseDuration(vars["SECRET_GRACE"]); err != nil || d < 0 {
				t.Errorf("SECRET_GRACE = %q, want 0 or a positive Go duration", vars["SECRET_GRACE"])
			}
		})
	}
}

// envReadByCode lists the environment variables the Lambda binaries' own
// code reads: string arguments of os.Getenv / os.LookupEnv and string
// constants named Env<Name> (how internal/config names its settings), in
// every package of this module that ./functions/... links for linux/arm64.
// Test helpers and cmd/ are not linked, so they do not count; nor do names
// the Lambda runtime sets.
func envReadByCode(t *testing.T) []string {
	t.Helper()
	cmd := exec.Command("go", "list", "-tags", "lambda.norpc", "-deps",
		"-f", `{{with .Module}}{{if .Main}}{{range $.GoFiles}}{{$.Dir}}/{{.}}{{"\n"}}{{end}}{{end}}{{end}}`,
		"./functions/...")
	cmd.Dir = repoRoot(t)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH=arm64")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list ./functions/...: %v\n%s", err, stderr.String())
	}
	found := map[string]bool{}
	fset := token.NewFileSet()
	for _, file := range strings.Fields(string(out)) {
		f, err := parser.ParseFile(fset, file, nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		collectEnvNames(f, found)
	}
	var names []string
	for n := range found {
		if !isLambdaReserved(n) {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	return names
}

func collectEnvNames(f *ast.File, found map[string]bool) {
	str := func(e ast.Expr) (string, bool) {
		lit, ok := e.(*ast.BasicLit)
		if !ok || lit.Kind != token.STRING {
			return "", false
		}
		s, err := strconv.Unquote(lit.Value)
		return s, err == nil
	}
	ast.Inspect(f, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.CallExpr:
			sel, ok := n.Fun.(*ast.SelectorExpr)
			if !ok || len(n.Args) != 1 {
				return true
			}
			if pkg, ok := sel.X.(*ast.Ident); ok && pkg.Name == "os" && (sel.Sel.Name == "Getenv" || sel.Sel.Name == "LookupEnv") {
				if s, ok := str(n.Args[0]); ok {
					found[s] = true
				}
			}
		case *ast.ValueSpec:
			for i, name := range n.Names {
				if i >= len(n.Values) || len(name.Name) < 4 || !strings.HasPrefix(name.Name, "Env") {
					continue
				}
				if r := name.Name[3]; r < 'A' || r > 'Z' {
					continue
				}
				if s, ok := str(n.Values[i]); ok {
					found[s] = true
				}
			}
		}
		return true
	})
}
