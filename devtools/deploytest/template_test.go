// Package deploytest checks the deployment files against each other and
// against the code: template.yaml, the Makefile, events/ and the settings the
// Go code reads. It holds tests only.
package deploytest

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/plexauth/plexauth/devtools/runtimeapi"
	"github.com/plexauth/plexauth/internal/config"
	"github.com/plexauth/plexauth/internal/endpoint"
	"github.com/plexauth/plexauth/internal/keepalive"
)

// wantFunctions is the design, derived from the declarations: each route's
// function (endpoint.All), whose path and methods the template and events
// must follow, then each scheduled job's (keepalive.All), which has no route.
var wantFunctions = func() []wantFunction {
	var out []wantFunction
	for _, r := range endpoint.All {
		out = append(out, wantFunction{id: logicalID(r.Name), pkg: "./functions/" + r.Name, dir: "functions/" + r.Name, route: &r})
	}
	for _, j := range keepalive.All {
		out = append(out, wantFunction{id: logicalID(j.Name), pkg: "./functions/" + j.Name, dir: "functions/" + j.Name, job: &j})
	}
	return out
}()

type wantFunction struct {
	id    string          // SAM logical id
	pkg   string          // its main package, relative to the repository root
	dir   string          // its folder, relative to the repository root
	route *endpoint.Route // nil for a scheduled job
	job   *keepalive.Job  // nil for a route
}

// httpFunctions are the wantFunctions behind the API.
func httpFunctions() []wantFunction {
	var out []wantFunction
	for _, f := range wantFunctions {
		if f.route != nil {
			out = append(out, f)
		}
	}
	return out
}

// routeKey is the one route of an endpoint: ANY on its path, so that the
// function (not API Gateway, which answers 404) refuses a wrong method with
// 405 and Allow.
func routeKey(r endpoint.Route) string { return "ANY " + r.Path }

const apiID = "PlexAuthApi"

// contractEnv lists the settings every function reads (CONTRACTS, internal/config)
// plus the SDK's endpoint override that local runs need.
var contractEnv = []string{
	"PLEX_SERVER_URL", "PLEX_TV_URL", "PLEX_ALLOW_HTTP", "PLEX_SECRET_ARN", "PLEX_CLIENT_IDENTIFIER",
	"PLEX_PRODUCT", "PLEX_VERSION", "SECRET_TTL", "SECRET_GRACE",
	"SIGNIN_LOGIN_COOLDOWN", "SIGNIN_BLOCK_COOLDOWN", "SIGNIN_CALLER_RATE", "SIGNIN_CALLER_BURST",
	"METRICS_NAMESPACE", "TOKEN_EXPIRY_WARNING_HOURS", "AWS_ENDPOINT_URL_SECRETS_MANAGER",
}

// lambdaReserved are set by the Lambda runtime; a template that declares one
// fails to deploy, and the code may read them without the template's help.
var lambdaReserved = map[string]bool{
	"_HANDLER": true, "_X_AMZN_TRACE_ID": true, "AWS_DEFAULT_REGION": true, "AWS_REGION": true,
	"AWS_EXECUTION_ENV": true, "AWS_ACCESS_KEY": true, "AWS_ACCESS_KEY_ID": true,
	"AWS_SECRET_ACCESS_KEY": true, "AWS_SESSION_TOKEN": true, "LAMBDA_TASK_ROOT": true,
	"LAMBDA_RUNTIME_DIR": true, "TZ": true,
}

func isLambdaReserved(name string) bool {
	return lambdaReserved[name] || strings.HasPrefix(name, "AWS_LAMBDA_")
}

// repoRoot is the directory holding go.mod.
func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := runtimeapi.ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	return root
}

// loadTemplate parses template.yaml into plain maps, lists and scalars, with
// the short intrinsic tags turned into their long form ({"Ref": ...},
// {"Fn::Sub": ...}), as CloudFormation reads them.
func loadTemplate(t *testing.T) map[string]any {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(repoRoot(t), "template.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		t.Fatalf("template.yaml: %v", err)
	}
	v, err := fromYAML(&doc)
	if err != nil {
		t.Fatalf("template.yaml: %v", err)
	}
	m, ok := v.(map[string]any)
	if !ok {
		t.Fatal("template.yaml: top level is not a mapping")
	}
	return m
}

func fromYAML(n *yaml.Node) (any, error) {
	var v any
	switch n.Kind {
	case yaml.DocumentNode:
		if len(n.Content) != 1 {
			return nil, errors.New("want exactly one YAML document")
		}
		return fromYAML(n.Content[0])
	case yaml.AliasNode:
		return nil, fmt.Errorf("line %d: CloudFormation does not accept YAML aliases", n.Line)
	case yaml.MappingNode:
		m := make(map[string]any, len(n.Content)/2)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i].Value
			if _, dup := m[k]; dup {
				return nil, fmt.Errorf("line %d: duplicate key %q", n.Content[i].Line, k)
			}
			val, err := fromYAML(n.Content[i+1])
			if err != nil {
				return nil, err
			}
			m[k] = val
		}
		v = m
	case yaml.SequenceNode:
		l := make([]any, 0, len(n.Content))
		for _, c := range n.Content {
			val, err := fromYAML(c)
			if err != nil {
				return nil, err
			}
			l = append(l, val)
		}
		v = l
	case yaml.ScalarNode:
		if isShortIntrinsic(n.Tag) {
			v = n.Value
		} else if err := n.Decode(&v); err != nil {
			return nil, fmt.Errorf("line %d: %v", n.Line, err)
		}
	default:
		return nil, fmt.Errorf("line %d: unexpected YAML node kind %v", n.Line, n.Kind)
	}
	if !isShortIntrinsic(n.Tag) {
		return v, nil
	}
	name := strings.TrimPrefix(n.Tag, "!")
	switch name {
	case "Ref", "Condition":
	case "GetAtt":
		// !GetAtt Resource.Attribute is the short form of [Resource, Attribute].
		if s, ok := v.(string); ok {
			res, attr, _ := strings.Cut(s, ".")
			v = []any{res, attr}
		}
		name = "Fn::" + name
	default:
		name = "Fn::" + name
	}
	return map[string]any{name: v}, nil
}

// isShortIntrinsic reports whether a YAML tag is a CloudFormation short form
// (!Ref, !Sub, ...) rather than a standard tag (!!str) or none.
func isShortIntrinsic(tag string) bool {
	return strings.HasPrefix(tag, "!") && !strings.HasPrefix(tag, "!!")
}

func asMap(v any) map[string]any {
	m, _ := v.(map[string]any)
	return m
}

func asList(v any) []any {
	l, _ := v.([]any)
	return l
}

func asString(v any) string {
	s, _ := v.(string)
	return s
}

func ref(name string) map[string]any { return map[string]any{"Ref": name} }

func isRef(v any, name string) bool {
	m := asMap(v)
	return len(m) == 1 && m["Ref"] == name
}

// resourcesOfType returns the logical ids of the resources of one type, sorted.
func resourcesOfType(tpl map[string]any, typ string) []string {
	var ids []string
	for id, r := range asMap(tpl["Resources"]) {
		if asMap(r)["Type"] == typ {
			ids = append(ids, id)
		}
	}
	sort.Strings(ids)
	return ids
}

func function(t *testing.T, tpl map[string]any, id string) map[string]any {
	t.Helper()
	r := asMap(asMap(tpl["Resources"])[id])
	if r == nil {
		t.Fatalf("resource %s is missing", id)
	}
	if r["Type"] != "AWS::Serverless::Function" {
		t.Fatalf("%s: Type = %v, want AWS::Serverless::Function", id, r["Type"])
	}
	return r
}

// declaredEnv is the set of environment variable names a function gets:
// Globals.Function.Environment merged with its own Environment.
func declaredEnv(tpl map[string]any, id string) map[string]bool {
	names := map[string]bool{}
	globals := asMap(asMap(asMap(tpl["Globals"])["Function"])["Environment"])
	for k := range asMap(globals["Variables"]) {
		names[k] = true
	}
	props := asMap(asMap(asMap(tpl["Resources"])[id])["Properties"])
	for k := range asMap(asMap(props["Environment"])["Variables"]) {
		names[k] = true
	}
	return names
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func TestTemplateHeader(t *testing.T) {
	tpl := loadTemplate(t)
	if tpl["Transform"] != "AWS::Serverless-2016-10-31" {
		t.Errorf("Transform = %v, want AWS::Serverless-2016-10-31", tpl["Transform"])
	}
	if got := resourcesOfType(tpl, "AWS::Serverless::HttpApi"); !slices.Equal(got, []string{apiID}) {
		t.Errorf("HTTP APIs = %v, want exactly [%s]", got, apiID)
	}
	// Least privilege is SAM's generated role per function; a hand-written
	// IAM resource would widen it behind the checks below.
	for id, r := range asMap(tpl["Resources"]) {
		if strings.HasPrefix(asString(asMap(r)["Type"]), "AWS::IAM::") {
			t.Errorf("%s: IAM resources do not belong in this template", id)
		}
	}
}

func TestTemplateGlobals(t *testing.T) {
	tpl := loadTemplate(t)
	g := asMap(asMap(tpl["Globals"])["Function"])
	tests := []struct {
		key  string
		want any
	}{
		{"Runtime", "provided.al2023"},
		{"Handler", "bootstrap"},
		{"Architectures", []any{"arm64"}},
		{"MemorySize", 128},
	}
	for _, tt := range tests {
		if got := g[tt.key]; fmt.Sprint(got) != fmt.Sprint(tt.want) {
			t.Errorf("Globals.Function.%s = %v, want %v", tt.key, got, tt.want)
		}
	}
	// The HTTP API gives up on an integration after 30 s; the function must
	// stop first so the caller gets its error body.
	if timeout, ok := g["Timeout"].(int); !ok || timeout <= 0 || timeout >= 30 {
		t.Errorf("Globals.Function.Timeout = %v, want 1..29 seconds", g["Timeout"])
	}
	// Settings that would bypass the globals or the generated role.
	for _, f := range wantFunctions {
		props := asMap(function(t, tpl, f.id)["Properties"])
		for _, key := range []string{"Runtime", "Handler", "Architectures", "Role"} {
			if _, ok := props[key]; ok {
				t.Errorf("%s sets %s; it belongs in Globals (or, for Role, nowhere)", f.id, key)
			}
		}
	}
	for _, key := range []string{"Policies", "Role"} {
		if _, ok := g[key]; ok {
			t.Errorf("Globals.Function sets %s", key)
		}
	}
}

func TestTemplateLogging(t *testing.T) {
	tpl := loadTemplate(t)
	lc := asMap(asMap(asMap(tpl["Globals"])["Function"])["LoggingConfig"])
	if lc["LogFormat"] != "JSON" {
		t.Errorf("LoggingConfig.LogFormat = %v, want JSON", lc["LogFormat"])
	}
	// ApplicationLogLevel must follow the LogLevel parameter, mapped to the
	// upper-case names Lambda accepts.
	find := asList(asMap(lc["ApplicationLogLevel"])["Fn::FindInMap"])
	if len(find) != 3 || !isRef(find[1], "LogLevel") {
		t.Fatalf("LoggingConfig.ApplicationLogLevel = %v, want !FindInMap [<map>, !Ref LogLevel, <key>]", lc["ApplicationLogLevel"])
	}
	mapping := asMap(asMap(tpl["Mappings"])[asString(find[0])])
	lambdaLevels := []string{"TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL"}
	levels := asList(asMap(asMap(tpl["Parameters"])["LogLevel"])["AllowedValues"])
	if len(levels) == 0 {
		t.Fatal("parameter LogLevel has no AllowedValues")
	}
	for _, l := range levels {
		lvl := asString(l)
		got := asString(asMap(mapping[lvl])[asString(find[2])])
		if got != strings.ToUpper(lvl) || !slices.Contains(lambdaLevels, got) {
			t.Errorf("LogLevel %q maps to ApplicationLogLevel %q, want %q", lvl, got, strings.ToUpper(lvl))
		}
	}
}

func TestTemplateFunctions(t *testing.T) {
	tpl := loadTemplate(t)
	root := repoRoot(t)
	var ids []string
	for _, f := range wantFunctions {
		ids = append(ids, f.id)
	}
	sort.Strings(ids)
	if got := resourcesOfType(tpl, "AWS::Serverless::Function"); !slices.Equal(got, ids) {
		t.Errorf("functions = %v, want %v", got, ids)
	}
	for _, f := range wantFunctions {
		t.Run(f.id, func(t *testing.T) {
			fn := function(t, tpl, f.id)
			if _, err := os.Stat(filepath.Join(root, filepath.FromSlash(f.pkg), "main.go")); err != nil {
				t.Errorf("the function has no main.go: %v", err)
			}
			// See the comment at the top of template.yaml: sam must build
			// from the module root with the root Makefile.
			md := asMap(fn["Metadata"])
			for key, want := range map[string]string{"BuildMethod": "makefile", "ContextPath": ".", "ProjectRootDirectory": "."} {
				if got := asString(md[key]); got != want {
					t.Errorf("Metadata.%s = %q, want %q", key, got, want)
				}
			}
		})
	}
}

func TestTemplateRoutes(t *testing.T) {
	tpl := loadTemplate(t)
	owner := map[string]string{} // route key -> function
	for _, id := range resourcesOfType(tpl, "AWS::Serverless::Function") {
		events := asMap(asMap(function(t, tpl, id)["Properties"])["Events"])
		for _, name := range sortedKeys(events) {
			ev := asMap(events[name])
			if ev["Type"] == "Schedule" {
				continue // TestTemplateSchedule
			}
			if ev["Type"] != "HttpApi" {
				t.Errorf("%s.%s: Type = %v, want HttpApi", id, name, ev["Type"])
				continue
			}
			p := asMap(ev["Properties"])
			if !isRef(p["ApiId"], apiID) {
				t.Errorf("%s.%s: ApiId = %v, want !Ref %s", id, name, p["ApiId"], apiID)
			}
			if v, ok := p["PayloadFormatVersion"]; ok && v != "2.0" {
				t.Errorf("%s.%s: PayloadFormatVersion = %v, want 2.0", id, name, v)
			}
			key := strings.ToUpper(asString(p["Method"])) + " " + asString(p["Path"])
			if prev, dup := owner[key]; dup {
				t.Errorf("route %q is declared twice (%s and %s)", key, prev, id)
			}
			owner[key] = id
		}
	}
	want := map[string]string{}
	for _, f := range httpFunctions() {
		want[routeKey(*f.route)] = f.id
	}
	for _, r := range sortedKeys(want) {
		if owner[r] != want[r] {
			t.Errorf("route %q is served by %q, want %q", r, owner[r], want[r])
		}
	}
	for _, r := range sortedKeys(owner) {
		if _, ok := want[r]; !ok {
			t.Errorf("route %q (%s) is not in the design", r, owner[r])
		}
	}
}

func TestTemplatePolicies(t *testing.T) {
	tpl := loadTemplate(t)
	for _, f := range wantFunctions {
		t.Run(f.id, func(t *testing.T) {
			policies := asList(asMap(function(t, tpl, f.id)["Properties"])["Policies"])
			if len(policies) != 1 {
				t.Fatalf("Policies has %d entries, want exactly one (read the Plex secret)", len(policies))
			}
			if err := checkSecretPolicy(asMap(policies[0])); err != nil {
				t.Error(err)
			}
		})
	}
}

// checkSecretPolicy accepts exactly "secretsmanager:GetSecretValue on the
// PlexSecretArn parameter": an inline statement, or SAM's policy template.
func checkSecretPolicy(p map[string]any) error {
	if tmpl, ok := p["AWSSecretsManagerGetSecretValuePolicy"]; ok {
		if len(p) != 1 || !isRef(asMap(tmpl)["SecretArn"], "PlexSecretArn") || len(asMap(tmpl)) != 1 {
			return fmt.Errorf("policy template %v: want SecretArn: !Ref PlexSecretArn only", p)
		}
		return nil
	}
	stmts := asList(p["Statement"])
	if len(stmts) != 1 {
		return fmt.Errorf("policy has %d statements, want 1", len(stmts))
	}
	s := asMap(stmts[0])
	for _, k := range sortedKeys(s) {
		if !slices.Contains([]string{"Sid", "Effect", "Action", "Resource"}, k) {
			return fmt.Errorf("statement has %s; want only Sid, Effect, Action, Resource", k)
		}
	}
	if s["Effect"] != "Allow" {
		return fmt.Errorf("Effect = %v, want Allow", s["Effect"])
	}
	action := s["Action"]
	if l := asList(action); len(l) == 1 {
		action = l[0]
	}
	if action != "secretsmanager:GetSecretValue" {
		return fmt.Errorf("Action = %v, want secretsmanager:GetSecretValue only", s["Action"])
	}
	resource := s["Resource"]
	if l := asList(resource); len(l) == 1 {
		resource = l[0]
	}
	if !isRef(resource, "PlexSecretArn") {
		return fmt.Errorf("Resource = %v, want !Ref PlexSecretArn only", s["Resource"])
	}
	return nil
}

func TestTemplateParameters(t *testing.T) {
	tpl := loadTemplate(t)
	params := asMap(tpl["Parameters"])
	tests := []struct {
		name       string
		def        any // nil: must have no default
		goodValues []string
		badValues  []string
	}{
		{"PlexServerUrl", nil, []string{"https://plex.example.com:32400", "http://10.0.0.2:32400"}, []string{"plex.example.com", "https://u:p@plex.example.com", "https://h/?x=1"}},
		{"PlexTvUrl", "https://plex.tv", []string{"https://plex.tv"}, []string{"ftp://plex.tv"}},
		// Plain http to a non-loopback host is an explicit choice, off by default.
		{"AllowInsecurePlexUrls", "false", []string{"true", "false"}, []string{"", "yes", "True"}},
		{"PlexSecretArn", nil, []string{"arn:aws:secretsmanager:eu-west-1:123456789012:secret:plexauth/admin-AbC123"}, []string{"plexauth/admin", "arn:aws:s3:::bucket"}},
		{"PlexClientIdentifier", nil, []string{"0f7c5a8e-2d1b-4c3a-9e8f-123456789abc"}, []string{"", "has space"}},
		{"PlexProduct", "plexauth", []string{"plexauth"}, []string{""}},
		{"PlexVersion", "1.0.0", []string{"1.0.0", "2.1.0-beta+3"}, []string{""}},
		{"SecretTtl", "5m", []string{"5m", "90s", "1h30m"}, []string{"5", "five minutes", "-5m"}},
		{"SecretGrace", "5m", []string{"0", "5m", "90s", "1h30m"}, []string{"", "5", "00", "five minutes", "-5m"}},
		{"LogLevel", "info", []string{"debug", "info", "warn", "error"}, []string{"INFO", "trace"}},
		{"SigninLoginCooldown", "1m", []string{"1m", "0", "90s"}, []string{"60", "-1m", "a minute"}},
		{"SigninBlockCooldown", "15m", []string{"15m", "0", "1h"}, []string{"15", "-15m"}},
		{"SigninCallerRate", 5, nil, nil},
		{"SigninCallerBurst", 5, nil, nil},
		{"ThrottlingRateLimit", nil, nil, nil},
		{"ThrottlingBurstLimit", nil, nil, nil},
		{"ReservedConcurrency", 0, nil, nil},
		{"LogRetentionDays", 30, nil, nil},
		{"Tracing", "Disabled", []string{"Disabled", "Active", "PassThrough"}, []string{"", "active", "true"}},
		// At most hourly: the alarms read a two-hour window (TestTemplateAlarms).
		{"KeepAliveSchedule", "rate(1 hour)", []string{"rate(1 hour)", "rate(1 minute)", "rate(30 minutes)", "rate(60 minutes)"}, []string{"rate(2 hours)", "rate(1 day)", "rate(0 minutes)", "rate(61 minutes)", "rate(1 minutes)", "cron(0 * * * ? *)", ""}},
		{"MetricsNamespace", config.DefaultMetricsNamespace, []string{"plexauth", "Plex/Auth prod"}, []string{"", "a:b", strings.Repeat("n", 256)}},
		{"TokenExpiryWarningHours", int(config.DefaultTokenExpiryWarning.Hours()), nil, nil},
		{"AlarmEmail", "", []string{"", "ops@example.com"}, []string{"ops", "a b@example.com", "ops@example"}},
		{"SecretsManagerEndpoint", "", []string{"", "http://127.0.0.1:5000"}, []string{"not a url"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := asMap(params[tt.name])
			if p == nil {
				t.Fatal("parameter is missing")
			}
			if asString(p["Description"]) == "" {
				t.Error("parameter has no Description")
			}
			if tt.def != nil {
				if fmt.Sprint(p["Default"]) != fmt.Sprint(tt.def) {
					t.Errorf("Default = %v, want %v", p["Default"], tt.def)
				}
			} else if _, ok := p["Default"]; ok && p["Type"] == "String" {
				t.Errorf("Default = %v, want none: the deployer must choose", p["Default"])
			}
			for _, v := range tt.goodValues {
				if err := allowed(p, v); err != nil {
					t.Errorf("value %q rejected: %v", v, err)
				}
			}
			for _, v := range tt.badValues {
				if allowed(p, v) == nil {
					t.Errorf("value %q accepted", v)
				}
			}
		})
	}
	for _, name := range sortedKeys(params) {
		if asString(asMap(params[name])["Description"]) == "" {
			t.Errorf("parameter %s has no Description", name)
		}
	}
}

// TestTemplateSignInDefaults: the template's defaults for the sign-in guard
// are the code's own, so deploying without them changes nothing.
func TestTemplateSignInDefaults(t *testing.T) {
	params := asMap(loadTemplate(t)["Parameters"])
	fromTemplate := map[string]string{}
	for env, param := range map[string]string{
		config.EnvSignInLoginCooldown: "SigninLoginCooldown", config.EnvSignInBlockCooldown: "SigninBlockCooldown",
		config.EnvSignInCallerRate: "SigninCallerRate", config.EnvSignInCallerBurst: "SigninCallerBurst",
	} {
		fromTemplate[env] = fmt.Sprint(asMap(params[param])["Default"])
	}
	base := map[string]string{config.EnvSecretARN: "plexauth", config.EnvClientIdentifier: "plexauth-test"}
	load := func(over map[string]string) config.Config {
		c, err := config.Load(func(k string) string {
			if v, ok := over[k]; ok {
				return v
			}
			return base[k]
		}, config.Needs{})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	if got, want := load(fromTemplate).SignIn, load(nil).SignIn; got != want {
		t.Errorf("template defaults give %+v, the code's defaults are %+v", got, want)
	}
}

// allowed applies a String parameter's AllowedValues and AllowedPattern the
// way CloudFormation does (the pattern must match the whole value).
func allowed(p map[string]any, v string) error {
	if vals := asList(p["AllowedValues"]); vals != nil && !slices.Contains(vals, any(v)) {
		return fmt.Errorf("not in AllowedValues %v", vals)
	}
	if pat := asString(p["AllowedPattern"]); pat != "" {
		re, err := regexp.Compile(`^(?:` + pat + `)$`)
		if err != nil {
			return fmt.Errorf("AllowedPattern does not compile: %v", err)
		}
		if !re.MatchString(v) {
			return fmt.Errorf("does not match AllowedPattern %s", pat)
		}
	}
	return nil
}

func TestTemplateThrottling(t *testing.T) {
	tpl := loadTemplate(t)
	api := asMap(asMap(tpl["Resources"])[apiID])
	rs := asMap(asMap(api["Properties"])["DefaultRouteSettings"])
	for _, key := range []string{"ThrottlingRateLimit", "ThrottlingBurstLimit"} {
		if !isRef(rs[key], key) {
			t.Errorf("%s.DefaultRouteSettings.%s = %v, want !Ref %s", apiID, key, rs[key], key)
		}
	}
}

func TestTemplateReservedConcurrency(t *testing.T) {
	tpl := loadTemplate(t)
	// Unset unless asked for: the property must collapse to AWS::NoValue
	// when the parameter is 0.
	v := asMap(asMap(tpl["Globals"])["Function"])["ReservedConcurrentExecutions"]
	cond := asList(asMap(v)["Fn::If"])
	if len(cond) != 3 || !isRef(cond[1], "ReservedConcurrency") || !isRef(cond[2], "AWS::NoValue") {
		t.Fatalf("ReservedConcurrentExecutions = %v, want !If [<condition>, !Ref ReservedConcurrency, !Ref AWS::NoValue]", v)
	}
	want := map[string]any{"Fn::Not": []any{map[string]any{"Fn::Equals": []any{ref("ReservedConcurrency"), 0}}}}
	if got := asMap(tpl["Conditions"])[asString(cond[0])]; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("condition %v = %v, want %v", cond[0], got, want)
	}
}

func TestTemplateEnvironment(t *testing.T) {
	tpl := loadTemplate(t)
	params := asMap(tpl["Parameters"])
	codeEnv := envReadByCode(t)
	t.Logf("variables the functions' code reads: %v", codeEnv)
	for _, f := range wantFunctions {
		t.Run(f.id, func(t *testing.T) {
			declared := declaredEnv(tpl, f.id)
			for _, name := range contractEnv {
				if !declared[name] {
					t.Errorf("%s is not declared", name)
				}
			}
			for _, name := range codeEnv {
				if !declared[name] {
					t.Errorf("the code reads %s but the template does not declare it", name)
				}
			}
			// The runtime emulator sam local runs reads LOG_LEVEL itself and
			// stops on a value it does not know; the level is Lambda's own
			// (LoggingConfig.ApplicationLogLevel, AWS_LAMBDA_LOG_LEVEL).
			if declared["LOG_LEVEL"] {
				t.Error("LOG_LEVEL is declared; the LogLevel parameter sets LoggingConfig.ApplicationLogLevel only")
			}
			for _, name := range sortedKeys(declared) {
				if isLambdaReserved(name) {
					t.Errorf("%s is reserved by Lambda and cannot be declared", name)
				}
			}
		})
	}
	// Every value comes from a parameter, so no setting (and no token) is
	// written into the template itself.
	vars := asMap(asMap(asMap(asMap(tpl["Globals"])["Function"])["Environment"])["Variables"])
	for _, name := range sortedKeys(vars) {
		if p := paramOf(vars[name]); p == "" || params[p] == nil {
			t.Errorf("%s = %v, want !Ref <parameter> (or !If with one)", name, vars[name])
		}
	}
}

// paramOf returns the parameter behind !Ref P or !If [c, !Ref P, !Ref AWS::NoValue].
func paramOf(v any) string {
	if m := asMap(v); len(m) == 1 {
		if r, ok := m["Ref"].(string); ok {
			return r
		}
		if l := asList(m["Fn::If"]); len(l) == 3 && isRef(l[2], "AWS::NoValue") {
			return paramOf(l[1])
		}
	}
	return ""
}

func TestTemplateOutputs(t *testing.T) {
	tpl := loadTemplate(t)
	// ApiUrl has no trailing slash, so "$API/transient-token" (the README's
	// examples) composes without the double slash API Gateway answers 404.
	base := "https://${" + apiID + "}.execute-api.${AWS::Region}.${AWS::URLSuffix}"
	outputs := asMap(tpl["Outputs"])
	if got := asString(asMap(asMap(outputs["ApiUrl"])["Value"])["Fn::Sub"]); got != base {
		t.Errorf("output ApiUrl = %q, want %q", got, base)
	}
	got := map[string]bool{}
	for name, o := range outputs {
		if isRef(asMap(o)["Value"], keepAliveTopic) {
			continue // TestTemplateAlarms
		}
		sub := asString(asMap(asMap(o)["Value"])["Fn::Sub"])
		if sub != base && !strings.HasPrefix(sub, base+"/") {
			t.Errorf("output %s = %q, want a URL under %s", name, sub, base)
		}
		if strings.Contains(strings.TrimPrefix(sub, "https://"), "//") {
			t.Errorf("output %s = %q has a double slash", name, sub)
		}
		got[sub] = true
	}
	for _, f := range httpFunctions() {
		if u := base + f.route.Path; !got[u] {
			t.Errorf("no output for %s", u)
		}
	}
}

// logicalID is a function's logical id in template.yaml, from its folder
// name: "transient" is TransientFunction. The Makefile's build-%Function rule
// maps it back by lower-casing, which TestLogicalID checks for every function.
func logicalID(name string) string { return strings.ToUpper(name[:1]) + name[1:] + "Function" }

func TestLogicalID(t *testing.T) {
	for _, f := range wantFunctions {
		name := filepath.Base(f.dir)
		if id := f.id; strings.ToLower(strings.TrimSuffix(id, "Function")) != name || id[0] < 'A' || id[0] > 'Z' {
			t.Errorf("function %s: logical id %q does not map back to %q", f.dir, id, name)
		}
	}
	if got := logicalID("keepalive"); got != "KeepaliveFunction" {
		t.Errorf("logicalID(keepalive) = %q, want KeepaliveFunction", got)
	}
}
