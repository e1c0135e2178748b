// Package contract checks HTTP exchanges with Plex against the Plex OpenAPI
// spec: requests a client sends and answers a server gives. It is for tests
// only (it links kin-openapi, which no shipped binary should carry), so only
// _test.go files import it.
//
// A client-side contract test wraps its transport:
//
//	srv := plextest.NewServer()
//	v := contract.Load(t, srv.URL)
//	hc := &http.Client{Transport: v.Transport(t, http.DefaultTransport)}
//	... exercise the client with hc ...
//	if v.Checked() == 0 { t.Fatal("no response body was checked") }
package contract

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
)

// ErrUndeclaredStatus: the spec lists no such status (nor a default) for the
// operation, so there is nothing to check the answer against. The spec is
// silent on 429, 5xx and some 404s that real servers send.
var ErrUndeclaredStatus = errors.New("status not declared by the spec")

// specFromRoot is where the spec lives relative to the module root;
// pinsFromRoot the wrapper of the earlier spec's PIN operations.
const (
	specFromRoot = "../shared/plex-api-spec/plex-api-spec.yaml"
	pinsFromRoot = "../shared/plex-api-spec/earlier/pins-openapi.yaml"
)

// canonical is the one base URL the shared router knows; requests to the
// server under test are re-addressed to it before routing.
var canonical = &url.URL{Scheme: "http", Host: "spec.invalid"}

// A spec is parsed and routed once per test binary and shared, read-only,
// by every Validator of it.
type parsed struct {
	once   sync.Once
	router routers.Router
	err    error
}

var specs = map[string]*parsed{specFromRoot: {}, pinsFromRoot: {}}

// Validator checks requests and responses for one server against the spec.
// It is safe for concurrent use.
type Validator struct {
	router  routers.Router
	server  *url.URL
	opts    *openapi3filter.Options
	checked atomic.Int64
}

// SpecPath returns where the spec should be: up from the working directory
// (a test's package directory) to the one holding go.mod, then
// ../shared/plex-api-spec/plex-api-spec.yaml.
func SpecPath() (string, error) { return fromRoot(specFromRoot) }

func fromRoot(rel string) (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return filepath.Join(dir, filepath.FromSlash(rel)), nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("contract: no go.mod above the working directory")
		}
		dir = parent
	}
}

// Load returns a Validator for the server at serverURL, which serves every
// operation: the Plex Media Server ones at its root, the plex.tv ones under
// their base path (/api/v2). It skips the test when the spec is absent.
func Load(t testing.TB, serverURL string) *Validator {
	t.Helper()
	return load(t, serverURL, specFromRoot)
}

// LoadPins is Load for the plex.tv PIN operations, which only the earlier
// spec describes (../shared/plex-api-spec/earlier/pins-openapi.yaml).
func LoadPins(t testing.TB, serverURL string) *Validator {
	t.Helper()
	return load(t, serverURL, pinsFromRoot)
}

func load(t testing.TB, serverURL, rel string) *Validator {
	t.Helper()
	path, err := fromRoot(rel)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		t.Skipf("Plex OpenAPI spec not found at %s (%s from the module root): contract checks skipped", path, rel)
	}
	server, err := url.Parse(strings.TrimSuffix(serverURL, "/"))
	if err != nil || server.Host == "" {
		t.Fatalf("contract: server URL %q: want scheme://host[:port]", serverURL)
	}
	spec := specs[rel]
	spec.once.Do(func() { spec.router, spec.err = loadRouter(path) })
	if spec.err != nil {
		t.Fatal(spec.err)
	}
	return &Validator{
		router: spec.router,
		server: server,
		opts: &openapi3filter.Options{
			IncludeResponseStatus: true,
			SkipSettingDefaults:   true, // check the request, never change it
			AuthenticationFunc:    headerCredential,
		},
	}
}

func loadRouter(path string) (routers.Router, error) {
	loader := openapi3.NewLoader()
	loader.IsExternalRefsAllowed = true
	doc, err := loader.LoadFromFile(path)
	if err != nil {
		return nil, fmt.Errorf("contract: load spec: %w", err)
	}
	// No doc.Validate: it rejects some of the spec's examples, which say
	// nothing about the wire.
	rebase(doc, canonical.String())
	flattenParams(doc)
	router, err := gorillamux.NewRouter(doc)
	if err != nil {
		return nil, fmt.Errorf("contract: router: %w", err)
	}
	return router, nil
}

// rebase points the document at base. The spec's own servers are templates
// (a PMS) or plex.tv; the plex.tv operations declare theirs on the operation,
// which the router ignores, so they are lifted to the path item, keeping
// their base path (https://plex.tv/api/v2 -> base/api/v2).
func rebase(doc *openapi3.T, base string) {
	doc.Servers = openapi3.Servers{{URL: base}}
	for _, item := range doc.Paths.Map() {
		servers := item.Servers
		for _, op := range item.Operations() {
			if op.Servers != nil && len(*op.Servers) > 0 {
				servers = *op.Servers
			}
		}
		if len(servers) == 0 {
			continue
		}
		moved := openapi3.Servers{{URL: base + basePath(servers[0].URL)}}
		item.Servers = moved
		for _, op := range item.Operations() {
			if op.Servers != nil {
				op.Servers = &moved
			}
		}
	}
}

// flattenParams replaces a parameter schema that is only an allOf of one
// typed schema and annotations (get-server-resources' includeHttps: allOf
// [BoolInt, {default: 0}]) with that typed schema: kin-openapi cannot decode
// a query value against an untyped allOf, and reads "1" as empty.
func flattenParams(doc *openapi3.T) {
	for _, item := range doc.Paths.Map() {
		for _, op := range item.Operations() {
			for _, p := range op.Parameters {
				if p.Value == nil || p.Value.Schema == nil || p.Value.Schema.Value == nil {
					continue
				}
				s := p.Value.Schema.Value
				if s.Type != nil && len(*s.Type) > 0 {
					continue
				}
				var typed []*openapi3.SchemaRef
				for _, sub := range s.AllOf {
					if sub.Value != nil && sub.Value.Type != nil && len(*sub.Value.Type) > 0 {
						typed = append(typed, sub)
					}
				}
				if len(typed) == 1 {
					p.Value.Schema = typed[0]
				}
			}
		}
	}
}

// undocumented lists Plex calls the spec does not describe (the keep-alive's
// ping: see the API notes, section 6). Requests to them pass unchecked, and
// answers are reported as ErrUndeclaredStatus: logged, not failed.
var undocumented = map[string]bool{"/api/v2/ping": true}

// basePath is the path part of a server URL: "https://plex.tv/api/v2" -> "/api/v2".
func basePath(serverURL string) string {
	_, rest, ok := strings.Cut(serverURL, "://")
	if !ok {
		return ""
	}
	if i := strings.IndexByte(rest, '/'); i >= 0 {
		return strings.TrimSuffix(rest[i:], "/")
	}
	return ""
}

// headerCredential accepts an apiKey scheme when its header is present:
// whether the token is good is the server's business, not the contract's.
func headerCredential(_ context.Context, in *openapi3filter.AuthenticationInput) error {
	s := in.SecurityScheme
	if s.Type == "apiKey" && s.In == "header" && in.RequestValidationInput.Request.Header.Get(s.Name) != "" {
		return nil
	}
	return in.NewError(fmt.Errorf("no credential for scheme %q", in.SecuritySchemeName))
}

// route finds req's operation. The request is re-addressed from the server
// under test to the canonical base; one for another host is an error.
func (v *Validator) route(req *http.Request) (*openapi3filter.RequestValidationInput, error) {
	host := req.URL.Host
	if host == "" {
		host = req.Host // a request as a server received it
	}
	rest, ok := strings.CutPrefix(req.URL.Path, v.server.Path)
	if host != v.server.Host || !ok {
		return nil, fmt.Errorf("%s %s: not a request to the server under test", req.Method, req.URL.Path)
	}
	r := req.Clone(req.Context())
	r.URL.Scheme, r.URL.Host, r.Host = canonical.Scheme, canonical.Host, canonical.Host
	r.URL.Path, r.URL.RawPath = rest, ""
	route, params, err := v.router.FindRoute(r)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", req.Method, req.URL.Path, err)
	}
	return &openapi3filter.RequestValidationInput{Request: r, PathParams: params, Route: route, Options: v.opts}, nil
}

func (v *Validator) undocumented(req *http.Request) bool {
	rest, ok := strings.CutPrefix(req.URL.Path, v.server.Path)
	return ok && undocumented[rest]
}

// CheckRequest validates req, whose body is given separately (req.Body is
// not read), against its operation: method, path, parameters, credentials,
// body. HEAD requests pass unchecked: the spec declares none, and they carry
// nothing to check (a connection warm-up is one).
func (v *Validator) CheckRequest(req *http.Request, body []byte) error {
	if req.Method == http.MethodHead || v.undocumented(req) {
		return nil
	}
	in, err := v.route(req)
	if err != nil {
		return err
	}
	in.Request.Body = http.NoBody
	if body != nil {
		in.Request.Body = io.NopCloser(bytes.NewReader(body))
	}
	return openapi3filter.ValidateRequest(req.Context(), in)
}

// CheckResponse validates an answer to req: a declared status, a declared
// Content-Type, and a body matching its schema. It wraps ErrUndeclaredStatus
// when the spec has nothing to say about status. Answers to HEAD pass.
func (v *Validator) CheckResponse(req *http.Request, status int, header http.Header, body []byte) error {
	if req.Method == http.MethodHead {
		return nil
	}
	if v.undocumented(req) {
		return fmt.Errorf("%s %s: an operation the spec lacks: %w", req.Method, req.URL.Path, ErrUndeclaredStatus)
	}
	in, err := v.route(req)
	if err != nil {
		return err
	}
	responses := in.Route.Operation.Responses
	resp := responses.Status(status)
	if resp == nil {
		resp = responses.Default()
	}
	if resp == nil || resp.Value == nil {
		return fmt.Errorf("%s %s: %d: %w", req.Method, req.URL.Path, status, ErrUndeclaredStatus)
	}
	mt := resp.Value.Content.Get(header.Get("Content-Type"))
	out := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: in,
		Status:                 status,
		Header:                 header,
		Options:                v.opts,
	}
	out.SetBodyBytes(body)
	if err := openapi3filter.ValidateResponse(req.Context(), out); err != nil {
		return err
	}
	if mt != nil && mt.Schema != nil {
		v.checked.Add(1)
	}
	return nil
}

// Request reports a CheckRequest failure as a test error.
func (v *Validator) Request(t testing.TB, req *http.Request, body []byte) {
	t.Helper()
	if err := v.CheckRequest(req, body); err != nil {
		t.Errorf("contract: request breaks the spec: %v", err)
	}
}

// Response reports a CheckResponse failure as a test error. An undeclared
// status is only logged: the spec cannot judge it.
func (v *Validator) Response(t testing.TB, req *http.Request, status int, header http.Header, body []byte) {
	t.Helper()
	switch err := v.CheckResponse(req, status, header, body); {
	case errors.Is(err, ErrUndeclaredStatus):
		t.Logf("contract: not checked: %v", err)
	case err != nil:
		t.Errorf("contract: response breaks the spec: %v", err)
	}
}

// Checked reports how many response bodies were validated against a schema,
// so that a test can prove it checked something.
func (v *Validator) Checked() int64 { return v.checked.Load() }
