package deploytest

import (
	"encoding/json"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestTemplateCodeUri: `sam sync --watch` rebuilds a function when a file
// under its CodeUri changes, so every package of the module a function
// imports (and go.mod) must lie there, not only functions/<name>.
func TestTemplateCodeUri(t *testing.T) {
	tpl := loadTemplate(t)
	root := repoRoot(t)
	for _, f := range wantFunctions {
		t.Run(f.id, func(t *testing.T) {
			codeURI := asString(asMap(function(t, tpl, f.id)["Properties"])["CodeUri"])
			if codeURI == "" || path.IsAbs(codeURI) || strings.Contains(codeURI, "://") {
				t.Fatalf("CodeUri = %q, want a folder of this repository", codeURI)
			}
			dir := path.Clean(codeURI)
			for _, rel := range append(moduleDeps(t, root, f.pkg), "go.mod") {
				if !underDir(rel, dir) {
					t.Errorf("%s is outside CodeUri %q: sam sync --watch would not see its edits", rel, codeURI)
				}
			}
		})
	}
}

func underDir(rel, dir string) bool {
	return dir == "." || rel == dir || strings.HasPrefix(rel, dir+"/")
}

func TestUnderDir(t *testing.T) {
	for _, tt := range []struct {
		rel, dir string
		want     bool
	}{
		{"internal/api", ".", true},
		{"functions/signin", "functions/signin", true},
		{"internal/api", "functions/signin", false},
		{"functions/signin2", "functions/signin", false},
	} {
		if got := underDir(tt.rel, tt.dir); got != tt.want {
			t.Errorf("underDir(%q, %q) = %v, want %v", tt.rel, tt.dir, got, tt.want)
		}
	}
}

// moduleDeps lists the folders, relative to root, of pkg and of every
// package of this module it depends on, as the Lambda build sees them.
func moduleDeps(t *testing.T, root, pkg string) []string {
	t.Helper()
	cmd := exec.Command("go", "list", "-deps", "-tags", "lambda.norpc",
		"-f", "{{if .Module}}{{if .Module.Main}}{{.Dir}}{{end}}{{end}}", pkg)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH=arm64")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list -deps %s: %v", pkg, err)
	}
	var dirs []string
	for line := range strings.Lines(string(out)) {
		if d := strings.TrimSpace(line); d != "" {
			rel, err := filepath.Rel(root, d)
			if err != nil {
				t.Fatal(err)
			}
			dirs = append(dirs, filepath.ToSlash(rel))
		}
	}
	if !slices.Contains(dirs, strings.TrimPrefix(pkg, "./")) || len(dirs) < 2 {
		t.Fatalf("go list -deps %s gave %v: want the function and the packages it shares", pkg, dirs)
	}
	return dirs
}

// logRetentionValues are the values CloudFormation accepts for
// AWS::Logs::LogGroup RetentionInDays.
var logRetentionValues = []int{1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653}

// checkLogGroup reports what keeps resource id from being a log group of
// the stack with the LogRetentionDays retention.
func checkLogGroup(tpl map[string]any, id string) string {
	r := asMap(asMap(tpl["Resources"])[id])
	switch {
	case r == nil:
		return "missing"
	case r["Type"] != "AWS::Logs::LogGroup":
		return "Type is " + asString(r["Type"]) + ", want AWS::Logs::LogGroup"
	case !isRef(asMap(r["Properties"])["RetentionInDays"], "LogRetentionDays"):
		return "RetentionInDays is not !Ref LogRetentionDays"
	case r["DeletionPolicy"] != nil && r["DeletionPolicy"] != "Delete":
		return "it outlives the stack (DeletionPolicy)"
	}
	return ""
}

func TestTemplateLogGroups(t *testing.T) {
	tpl := loadTemplate(t)
	p := asMap(asMap(tpl["Parameters"])["LogRetentionDays"])
	var allowedDays []int
	for _, v := range asList(p["AllowedValues"]) {
		n, ok := v.(int)
		if !ok {
			t.Fatalf("LogRetentionDays AllowedValues holds %v, want numbers", v)
		}
		allowedDays = append(allowedDays, n)
	}
	if !slices.Equal(allowedDays, logRetentionValues) {
		t.Errorf("LogRetentionDays AllowedValues = %v, want CloudFormation's %v", allowedDays, logRetentionValues)
	}
	if p["Default"] != 30 {
		t.Errorf("LogRetentionDays Default = %v, want 30", p["Default"])
	}
	// The level and format stay global, so a new function gets them; the
	// log group is each function's own.
	if _, ok := asMap(asMap(asMap(tpl["Globals"])["Function"])["LoggingConfig"])["LogGroup"]; ok {
		t.Error("Globals.Function.LoggingConfig sets LogGroup: every function needs its own")
	}
	owner := map[string]string{}
	for _, f := range wantFunctions {
		t.Run(f.id, func(t *testing.T) {
			lc := asMap(asMap(function(t, tpl, f.id)["Properties"])["LoggingConfig"])
			group := asString(asMap(lc["LogGroup"])["Ref"])
			if group == "" {
				t.Fatalf("LoggingConfig.LogGroup = %v, want !Ref <its AWS::Logs::LogGroup>", lc["LogGroup"])
			}
			if problem := checkLogGroup(tpl, group); problem != "" {
				t.Errorf("log group %s: %s", group, problem)
			}
			if prev, dup := owner[group]; dup {
				t.Errorf("log group %s is shared with %s", group, prev)
			}
			owner[group] = f.id
			for _, k := range []string{"LogFormat", "ApplicationLogLevel", "SystemLogLevel"} {
				if _, ok := lc[k]; ok {
					t.Errorf("LoggingConfig.%s is set per function; it belongs in Globals", k)
				}
			}
		})
	}
}

// accessLogFields are the access log's keys and the $context variable each
// must hold.
var accessLogFields = map[string]string{
	"requestId":        "$context.requestId",
	"routeKey":         "$context.routeKey",
	"status":           "$context.status",
	"integrationError": "$context.integrationErrorMessage",
	"latency":          "$context.responseLatency",
	"sourceIp":         "$context.identity.sourceIp",
}

func TestTemplateAccessLog(t *testing.T) {
	tpl := loadTemplate(t)
	als := asMap(asMap(asMap(asMap(tpl["Resources"])[apiID])["Properties"])["AccessLogSettings"])
	dest := asList(asMap(als["DestinationArn"])["Fn::GetAtt"])
	if len(dest) != 2 || dest[1] != "Arn" {
		t.Fatalf("AccessLogSettings.DestinationArn = %v, want !GetAtt <log group>.Arn", als["DestinationArn"])
	}
	group := asString(dest[0])
	if problem := checkLogGroup(tpl, group); problem != "" {
		t.Errorf("access log group %s: %s", group, problem)
	}
	for _, f := range wantFunctions {
		lc := asMap(asMap(function(t, tpl, f.id)["Properties"])["LoggingConfig"])
		if isRef(lc["LogGroup"], group) {
			t.Errorf("the access log shares its group with %s", f.id)
		}
	}
	format := asString(als["Format"])
	if err := checkAccessLogFormat(format); err != "" {
		t.Errorf("AccessLogSettings.Format %s: %s", format, err)
	}
}

// checkAccessLogFormat reports what is wrong with an access log format.
func checkAccessLogFormat(format string) string {
	var fields map[string]string
	if err := json.Unmarshal([]byte(format), &fields); err != nil {
		return "is not a JSON object of strings: " + err.Error()
	}
	for _, k := range sortedKeys(accessLogFields) {
		if fields[k] != accessLogFields[k] {
			return k + " = " + fields[k] + ", want " + accessLogFields[k]
		}
	}
	// A header (Authorization above all) or the caller's identity claims
	// must never reach the access log.
	lower := strings.ToLower(format)
	for _, banned := range []string{"authorization", "header", "$context.authorizer", "$input", "querystring"} {
		if strings.Contains(lower, strings.ToLower(banned)) {
			return "logs " + banned
		}
	}
	return ""
}

func TestCheckAccessLogFormat(t *testing.T) {
	good := map[string]string{}
	for k, v := range accessLogFields {
		good[k] = v
	}
	with := func(k, v string) string {
		m := map[string]string{}
		for gk, gv := range good {
			m[gk] = gv
		}
		if v == "" {
			delete(m, k)
		} else {
			m[k] = v
		}
		b, _ := json.Marshal(m)
		return string(b)
	}
	for _, tt := range []struct {
		name, format string
		ok           bool
	}{
		{"complete", with("ip", ""), true},
		{"not JSON", `$context.requestId $context.status`, false},
		{"no source ip", with("sourceIp", ""), false},
		{"wrong latency", with("latency", "$context.integrationLatency"), false},
		{"authorization header", with("auth", "$context.requestHeader.Authorization"), false},
		{"authorizer claims", with("who", "$context.authorizer.claims.sub"), false},
	} {
		if got := checkAccessLogFormat(tt.format); (got == "") != tt.ok {
			t.Errorf("%s: checkAccessLogFormat(%s) = %q, want ok=%v", tt.name, tt.format, got, tt.ok)
		}
	}
}

// TestTemplateTracing: X-Ray is off unless the Tracing parameter asks for it.
// SAM resolves !Ref Tracing while transforming: Disabled leaves out both the
// function's TracingConfig and the X-Ray write policy, which SAM adds for
// Active and PassThrough.
func TestTemplateTracing(t *testing.T) {
	tpl := loadTemplate(t)
	if v := asMap(asMap(tpl["Globals"])["Function"])["Tracing"]; !isRef(v, "Tracing") {
		t.Errorf("Globals.Function.Tracing = %v, want !Ref Tracing", v)
	}
	p := asMap(asMap(tpl["Parameters"])["Tracing"])
	if got := asList(p["AllowedValues"]); !slices.Equal(got, []any{"Disabled", "Active", "PassThrough"}) {
		t.Errorf("Tracing AllowedValues = %v, want [Disabled Active PassThrough]", got)
	}
	for _, f := range wantFunctions {
		if _, ok := asMap(function(t, tpl, f.id)["Properties"])["Tracing"]; ok {
			t.Errorf("%s sets Tracing; it follows the parameter through Globals", f.id)
		}
	}
}

// samconfig is samconfig.toml as the SAM CLI reads it, parsed by Python's
// tomllib (the SAM CLI is Python too); the test skips without python3.
func samconfig(t *testing.T) map[string]any {
	t.Helper()
	py := needTool(t, "python3")
	cmd := exec.Command(py, "-c", "import json, sys, tomllib; json.dump(tomllib.load(open(sys.argv[1], 'rb')), sys.stdout)",
		filepath.Join(repoRoot(t), "samconfig.toml"))
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("samconfig.toml does not parse: %v", err)
	}
	var cfg map[string]any
	if err := json.Unmarshal(out, &cfg); err != nil {
		t.Fatal(err)
	}
	return cfg
}

// samParam is env's setting key for command (as "deploy" or "local_start_api"),
// with the command's own section before the env's global one, as the SAM CLI
// resolves it.
func samParam(cfg map[string]any, env, command, key string) any {
	e := asMap(cfg[env])
	if v, ok := asMap(asMap(e[command])["parameters"])[key]; ok {
		return v
	}
	return asMap(asMap(e["global"])["parameters"])[key]
}

func TestSamconfig(t *testing.T) {
	cfg := samconfig(t)
	prod := samParam(cfg, "default", "deploy", "stack_name")
	if prod == nil || prod == "" {
		t.Fatal("default deploy has no stack_name")
	}
	tests := []struct {
		env, command, key string
		want              any
	}{
		{"default", "validate", "lint", true},
		{"default", "package", "resolve_s3", true},
		{"default", "deploy", "resolve_s3", true},
		{"default", "local_invoke", "env_vars", "events/env.json"},
		{"default", "local_start_api", "env_vars", "events/env.json"},
		{"default", "local_start_lambda", "env_vars", "events/env.json"},
		{"default", "build", "cached", false},
	}
	for _, tt := range tests {
		if got := samParam(cfg, tt.env, tt.command, tt.key); got != tt.want {
			t.Errorf("[%s.%s] %s = %v, want %v", tt.env, tt.command, tt.key, got, tt.want)
		}
	}
	// sam sync bypasses change sets: in every config env it must target a
	// stack of its own, never the one sam deploy manages.
	dev := samParam(cfg, "dev", "sync", "stack_name")
	if dev == nil || dev == "" {
		t.Error("[dev.sync] has no stack_name")
	}
	for _, env := range sortedKeys(cfg) {
		if _, ok := cfg[env].(map[string]any); !ok {
			continue // version
		}
		if got := samParam(cfg, env, "sync", "stack_name"); got == nil || got == prod {
			t.Errorf("[%s] sam sync targets stack %v, want a development stack other than %v", env, got, prod)
		}
	}
	if got := samParam(cfg, "default", "sync", "stack_name"); got != dev {
		t.Errorf("[default.sync] stack_name = %v, want the dev env's %v", got, dev)
	}
}
