// Package apispec checks plexauth's own answers against openapi.yaml, the API
// description at the module root. It is for tests only (it links
// kin-openapi): the endpoint tests hand it every answer their cases produce
// (apitest.Observe), and it reports an answer the description does not allow
// and, after a full run, each documented status no case produced.
package apispec

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"github.com/aws/aws-lambda-go/events"
	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
)

// File is the description's name at the module root.
const File = "openapi.yaml"

// methodNotAllowed is the response every path gives a method it does not take.
const methodNotAllowed = "MethodNotAllowed"

// base is the one server the router knows; answers are checked as if sent there.
const base = "http://spec.invalid"

// Spec is a loaded description with the answers checked against it so far.
// It is safe for concurrent use.
type Spec struct {
	Doc    *openapi3.T
	router routers.Router

	mu   sync.Mutex
	seen map[string]bool // "GET /sources 200", "405 /sources"
}

// Path returns where openapi.yaml is: up from the working directory (a test's
// package directory) to the one holding go.mod.
func Path() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return filepath.Join(dir, File), nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("apispec: no go.mod above the working directory")
		}
		dir = parent
	}
}

// Load reads and validates the module's openapi.yaml.
func Load() (*Spec, error) {
	path, err := Path()
	if err != nil {
		return nil, err
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return Parse(data)
}

// Parse loads a description from data, checks it with doc.Validate, and
// prepares its router.
func Parse(data []byte) (*Spec, error) {
	doc, err := openapi3.NewLoader().LoadFromData(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", File, err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		return nil, fmt.Errorf("%s: invalid: %w", File, err)
	}
	if doc.Components == nil || doc.Components.Responses[methodNotAllowed] == nil {
		return nil, fmt.Errorf("%s: no components.responses.%s", File, methodNotAllowed)
	}
	routed := *doc // the router sees one server; Doc keeps the real ones
	routed.Servers = openapi3.Servers{{URL: base}}
	router, err := gorillamux.NewRouter(&routed)
	if err != nil {
		return nil, fmt.Errorf("%s: router: %w", File, err)
	}
	return &Spec{Doc: doc, router: router, seen: map[string]bool{}}, nil
}

// Operations maps each path to its methods, upper case and sorted.
func (s *Spec) Operations() map[string][]string {
	out := map[string][]string{}
	for path, item := range s.Doc.Paths.Map() {
		for m := range item.Operations() {
			out[path] = append(out[path], m)
		}
		slices.Sort(out[path])
	}
	return out
}

var opts = &openapi3filter.Options{
	IncludeResponseStatus: true,
	SkipSettingDefaults:   true, // check the request, never change it
	MultiError:            true,
	// Whether the key is good is the handler's business; the description
	// only says it is sent.
	AuthenticationFunc: func(_ context.Context, in *openapi3filter.AuthenticationInput) error {
		if in.RequestValidationInput.Request.Header.Get("Authorization") == "" {
			return in.NewError(errors.New("no Authorization header"))
		}
		return nil
	},
}

// Check validates a handler's answer (status, headers, body) to the event
// against the description: the status must be documented for the operation
// (or be the 405 of a method the path does not take), and headers and body
// must match it. The request of a 200 must validate too, so the description
// never refuses what works.
func (s *Spec) Check(ev events.APIGatewayV2HTTPRequest, status int, header map[string]string, body string) error {
	req, err := request(ev)
	if err != nil {
		return err
	}
	name := req.Method + " " + req.URL.Path
	route, params, err := s.router.FindRoute(req)
	switch {
	case errors.Is(err, routers.ErrMethodNotAllowed):
		return s.checkMethodNotAllowed(ev, req, status, header, body)
	case err != nil:
		// The gateway may route what the router would not, e.g. "/pins/"
		// to "/pins/{id}" with an empty id: the route key names the path.
		if route = s.routed(ev, req.Method); route == nil {
			return fmt.Errorf("%s: %w: add its path to %s", name, err, File)
		}
		params = ev.PathParameters
	}
	in := &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route, Options: opts}
	if status == http.StatusOK {
		if err := openapi3filter.ValidateRequest(context.Background(), in); err != nil {
			return fmt.Errorf("%s answered 200, but its request does not validate: %w", name, err)
		}
	}
	if err := validateResponse(in, status, header, body); err != nil {
		return fmt.Errorf("%s answered %d: %w", name, status, err)
	}
	s.record(fmt.Sprintf("%s %s %d", req.Method, route.Path, status))
	return nil
}

// checkMethodNotAllowed validates a 405 against the shared response, and its
// Allow header against the path's documented methods.
func (s *Spec) checkMethodNotAllowed(ev events.APIGatewayV2HTTPRequest, req *http.Request, status int, header map[string]string, body string) error {
	name := req.Method + " " + req.URL.Path
	if status != http.StatusMethodNotAllowed {
		return fmt.Errorf("%s answered %d: %s documents no %s on that path", name, status, File, req.Method)
	}
	path, err := s.template(ev, req)
	if err != nil {
		return fmt.Errorf("%s answered 405: %w", name, err)
	}
	methods := s.Operations()[path]
	if got, want := sortedList(header["Allow"]), strings.Join(methods, ", "); got != want {
		return fmt.Errorf("%s: Allow %q, but %s documents %q", name, header["Allow"], File, want)
	}
	op := &openapi3.Operation{Responses: openapi3.NewResponses(
		openapi3.WithStatus(http.StatusMethodNotAllowed, s.Doc.Components.Responses[methodNotAllowed]))}
	in := &openapi3filter.RequestValidationInput{Request: req, Options: opts,
		Route: &routers.Route{Spec: s.Doc, Path: path, Method: req.Method, Operation: op}}
	if err := validateResponse(in, status, header, body); err != nil {
		return fmt.Errorf("%s answered 405: %w", name, err)
	}
	s.record("405 " + path)
	return nil
}

// template returns the documented path (e.g. "/pins/{id}") of the request:
// the route key's when it names one, else the one the router matches with
// any method the description uses, so that path matching has one owner.
func (s *Spec) template(ev events.APIGatewayV2HTTPRequest, req *http.Request) (string, error) {
	if path := routeKeyPath(ev); s.Doc.Paths.Value(path) != nil {
		return path, nil
	}
	tried := map[string]bool{}
	for _, methods := range s.Operations() {
		for _, m := range methods {
			if tried[m] {
				continue
			}
			tried[m] = true
			r := req.Clone(req.Context())
			r.Method = m
			if route, _, err := s.router.FindRoute(r); err == nil {
				return route.Path, nil
			}
		}
	}
	return "", fmt.Errorf("no path of %s matches %s", File, req.URL.Path)
}

// routed returns the operation the event's route key names for method, or
// nil when the description has none.
func (s *Spec) routed(ev events.APIGatewayV2HTTPRequest, method string) *routers.Route {
	path := routeKeyPath(ev)
	item := s.Doc.Paths.Value(path)
	if item == nil || item.GetOperation(method) == nil {
		return nil
	}
	return &routers.Route{Spec: s.Doc, Path: path, PathItem: item, Method: method, Operation: item.GetOperation(method)}
}

// routeKeyPath is the path of a route key such as "ANY /pins/{id}".
func routeKeyPath(ev events.APIGatewayV2HTTPRequest) string {
	_, path, _ := strings.Cut(ev.RouteKey, " ")
	return path
}

func validateResponse(in *openapi3filter.RequestValidationInput, status int, header map[string]string, body string) error {
	h := http.Header{}
	for k, v := range header {
		h.Set(k, v)
	}
	return openapi3filter.ValidateResponse(context.Background(), &openapi3filter.ResponseValidationInput{
		RequestValidationInput: in, Status: status, Header: h,
		Body: io.NopCloser(strings.NewReader(body)), Options: opts,
	})
}

// sortedList sorts a comma-separated header value: "POST, GET" -> "GET, POST".
func sortedList(v string) string {
	parts := strings.Split(v, ",")
	for i := range parts {
		parts[i] = strings.TrimSpace(parts[i])
	}
	slices.Sort(parts)
	return strings.Join(parts, ", ")
}

func (s *Spec) record(key string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.seen[key] = true
}

// Missing lists what the description documents but no checked answer
// showed: each operation's statuses, and each path's 405.
func (s *Spec) Missing() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for path, item := range s.Doc.Paths.Map() {
		if !s.seen["405 "+path] {
			out = append(out, "405 for a method "+path+" does not take")
		}
		for method, op := range item.Operations() {
			for status := range op.Responses.Map() {
				if key := method + " " + path + " " + status; !s.seen[key] {
					out = append(out, key)
				}
			}
		}
	}
	slices.Sort(out)
	return out
}

// request rebuilds the HTTP request behind an API Gateway event, addressed
// to the router's server.
func request(ev events.APIGatewayV2HTTPRequest) (*http.Request, error) {
	body := []byte(ev.Body)
	if ev.IsBase64Encoded {
		var err error
		if body, err = base64.StdEncoding.DecodeString(ev.Body); err != nil {
			body = []byte(ev.Body) // the handler answers 400; nothing to validate in it
		}
	}
	u := base + ev.RawPath
	if ev.RawQueryString != "" {
		u += "?" + ev.RawQueryString
	}
	req, err := http.NewRequest(ev.RequestContext.HTTP.Method, u, bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("apispec: event %s %s: %w", ev.RequestContext.HTTP.Method, ev.RawPath, err)
	}
	for k, v := range ev.Headers {
		req.Header.Set(k, v)
	}
	return req, nil
}
