package apispec_test

import (
	"encoding/json"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/plexauth/plexauth/devtools/apispec"
	"github.com/plexauth/plexauth/internal/api"
	"github.com/plexauth/plexauth/internal/api/apitest"
	"github.com/plexauth/plexauth/internal/config"
	"github.com/plexauth/plexauth/internal/endpoint"
	"github.com/plexauth/plexauth/pkg/plex/plextest"
)

// answer is one real exchange with a handler.
type answer struct {
	ev events.APIGatewayV2HTTPRequest
	r  apitest.Response
}

// answers runs each endpoint's handler against the simulator once per row.
func answers(t *testing.T) map[string]answer {
	p := apitest.NewPlex(t)
	rows := map[string]struct {
		route endpoint.Route
		ev    apitest.Event
	}{
		"transient 200": {endpoint.Transient, apitest.Event{Method: "POST", Path: "/transient-token"}.Authorized()},
		"transient 401": {endpoint.Transient, apitest.Event{Method: "POST", Path: "/transient-token"}},
		"transient 413": {endpoint.Transient, apitest.Event{Method: "POST", Path: "/transient-token"}.Authorized().
			JSONBody(`"` + strings.Repeat("x", api.MaxBodyBytes) + `"`)},
		"sources 404":       {endpoint.Sources, apitest.Event{Method: "GET", Path: "/sources", Query: "source=server://0000unknown"}.Authorized()},
		"sources 405":       {endpoint.Sources, apitest.Event{Method: "PUT", Path: "/sources"}.Authorized()},
		"details post 200":  {endpoint.Details, apitest.Event{Method: "POST", Path: "/token-details"}.Authorized().With("X-Plex-Token", plextest.UserToken)},
		"details not valid": {endpoint.Details, apitest.Event{Method: "GET", Path: "/token-details"}.Authorized().With("X-Plex-Token", "revoked-token-0001")},
		"signin 200": {endpoint.SignIn, apitest.Event{Method: "POST", Path: "/signin"}.Authorized().
			JSONBody(`{"login":"` + plextest.UserLogin + `","password":"` + plextest.UserPassword + `"}`)},
		"pins 201":  {endpoint.CreatePin, apitest.Event{Method: "POST", Path: "/pins"}.Authorized()},
		"pin 404":   {endpoint.CheckPin, apitest.Event{Method: "GET", Route: "/pins/{id}", Path: "/pins/not-an-id"}.Authorized()},
		"pin no id": {endpoint.CheckPin, apitest.Event{Method: "GET", Route: "/pins/{id}", Path: "/pins/"}.Authorized()},
		// A templated path's 405: found by the route key, or without one by the router.
		"pin 405":               {endpoint.CheckPin, apitest.Event{Method: "POST", Route: "/pins/{id}", Path: "/pins/not-an-id"}.Authorized()},
		"pin 405, no route key": {endpoint.CheckPin, apitest.Event{Method: "DELETE", Path: "/pins/not-an-id"}.Authorized()},
		"servers 200":           {endpoint.Servers, apitest.Event{Method: "GET", Path: "/servers", Query: "owned=true"}.Authorized()},
	}
	out := map[string]answer{}
	for name, row := range rows {
		p.Reset()
		logger, _ := apitest.NewLogger()
		h := row.route.Handler(endpoint.Deps{Shared: api.Shared{Secrets: apitest.NewSecrets(), Logger: logger}, Plex: p.Client,
			Config: config.Config{ClientIdentifier: "plexauth-test", Product: "plexauth"}})
		raw := row.ev.JSON()
		r := apitest.Invoke(t, t.Context(), h, raw)
		var ev events.APIGatewayV2HTTPRequest
		if err := json.Unmarshal(raw, &ev); err != nil {
			t.Fatal(err)
		}
		out[name] = answer{ev, r}
	}
	return out
}

// TestBrokenSpecRejects: each real answer validates against openapi.yaml,
// and each way of breaking the description either fails doc.Validate (the
// examples no longer fit it) or rejects the answer it no longer describes;
// either way the endpoint tests fail.
func TestBrokenSpecRejects(t *testing.T) {
	path, err := apispec.Path()
	if err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	text := string(raw)
	got := answers(t)
	good, err := apispec.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	for name, a := range got {
		if err := good.Check(a.ev, a.r.Status, a.r.Headers, a.r.Body); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	tests := []struct {
		name, old, new string
		breaks         string // the answer that must no longer validate
	}{
		{"success field renamed", "required: [token]\n      properties:\n        token:", "required: [tok]\n      properties:\n        tok:", "transient 200"},
		{"error code renamed", "code: {const: unauthorized}", "code: {const: unauthorised}", "transient 401"},
		{"error code renamed, no example", "code: {const: payload_too_large}", "code: {const: body_too_large}", "transient 413"},
		{"envelope field renamed", "required: [code, message, requestId]", "required: [code, message, request_id]", "transient 413"},
		{"required header renamed", "WWW-Authenticate:\n", "WWW-Authenticate-Realm:\n", "transient 401"},
		{"status dropped", "        '404': {$ref: '#/components/responses/SourceNotFound'}\n        '429'", "        '429'", "sources 404"},
		{"user field renamed", "twoFactorEnabled, joinedAt]", "twoFactorEnabled, joined]", "signin 200"},
		{"not-valid shape dropped", "            valid: {const: false}", "            valid: {const: true}", "details not valid"},
		{"method dropped", "    post:\n      operationId: postTokenDetails", "    x-post:\n      operationId: postTokenDetails", "details post 200"},
		{"allow widened", "    post:\n      operationId: postSource", "    put:\n      operationId: putSource", "sources 405"},
		{"path dropped", "  /signin:\n", "  /sign-in:\n", "signin 200"},
		{"token type renamed", "enum: [jwt, classic]", "enum: [jwt, opaque]", "details post 200"},
		{"created status dropped", "        '201':\n          description: The PIN.", "        '200':\n          description: The PIN.", "pins 201"},
		{"pin error code renamed", "code: {const: pin_not_found}", "code: {const: pin_unknown}", "pin 404"},
		{"templated path's status dropped", "        '404':\n          description: The id is not", "        '406':\n          description: The id is not", "pin no id"},
		{"templated allow changed", "    get:\n      operationId: checkPin", "    put:\n      operationId: checkPin", "pin 405"},
		{"templated allow changed, no route key", "    get:\n      operationId: checkPin", "    put:\n      operationId: checkPin", "pin 405, no route key"},
		{"connection field renamed", "        IPv6: {type: boolean}", "        ipv6: {type: boolean}", "servers 200"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if strings.Count(text, tt.old) != 1 {
				t.Fatalf("%q is not once in %s", tt.old, apispec.File)
			}
			s, err := apispec.Parse([]byte(strings.Replace(text, tt.old, tt.new, 1)))
			if err != nil {
				t.Logf("rejected by doc.Validate: %v", err)
				return
			}
			a := got[tt.breaks]
			if err := s.Check(a.ev, a.r.Status, a.r.Headers, a.r.Body); err == nil {
				t.Errorf("the broken description still accepts %s: %s", tt.breaks, a.r.Body)
			} else {
				t.Log(err)
			}
		})
	}
}

// TestMissing: a documented status is missing until an answer shows it.
func TestMissing(t *testing.T) {
	s, err := apispec.Load()
	if err != nil {
		t.Fatal(err)
	}
	a := answers(t)["transient 200"]
	if !slices.Contains(s.Missing(), "POST /transient-token 200") {
		t.Fatalf("Missing() lacks POST /transient-token 200 before any answer: %q", s.Missing())
	}
	if err := s.Check(a.ev, a.r.Status, a.r.Headers, a.r.Body); err != nil {
		t.Fatal(err)
	}
	m := s.Missing()
	if slices.Contains(m, "POST /transient-token 200") || !slices.Contains(m, "POST /transient-token 401") ||
		!slices.Contains(m, "405 for a method /transient-token does not take") {
		t.Errorf("Missing() after one 200 = %q", m)
	}
}

// TestInvalidSpec: a description doc.Validate rejects is an error, not a
// description.
func TestInvalidSpec(t *testing.T) {
	for name, doc := range map[string]string{
		"not yaml":      "openapi: [",
		"bad reference": "openapi: 3.1.0\ninfo: {title: x, version: '1'}\npaths:\n  /a:\n    get:\n      responses:\n        '200': {$ref: '#/components/responses/Nope'}\n",
		"no 405":        "openapi: 3.1.0\ninfo: {title: x, version: '1'}\npaths: {}\n",
	} {
		if _, err := apispec.Parse([]byte(doc)); err == nil {
			t.Errorf("%s: Parse accepted it", name)
		}
	}
}
