package api

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/plexauth/plexauth/internal/secret"
	"github.com/plexauth/plexauth/pkg/plex"
)

// MaxBodyBytes is the largest body accepted, before and after base64 decoding.
const MaxBodyBytes = 16 << 10

// Request is an authenticated request as an Op sees it.
type Request struct {
	Method string // upper case
	Caller string // the authenticated caller's name
	ID     string // request id, as in error bodies and the log line

	event   *events.APIGatewayV2HTTPRequest
	params  Params
	scope   string // the route's name in a caller's "routes"
	secrets Secrets
	secret  secret.Value
	key     string // the caller's key, kept to check it again against a refreshed secret; never logged

	// facts for the log line
	cacheHit *bool
	plex     plex.Calls // the Plex calls made for the request
	refresh  string     // outcome of AsAdmin's refresh: "rotated", "unchanged", "failed"
	noted    error
	stack    []byte // of a recovered panic
}

// authorize checks r's caller key against v, and that it may call r's route
// now. A 403 names the caller in the log line; so does a 401 when the key
// passed an earlier check (AsAdmin's, against the secret before a refresh).
func (r *Request) authorize(v secret.Value) error {
	caller, err := v.Authorize(r.key, r.scope, time.Now())
	switch {
	case errors.Is(err, secret.ErrForbidden):
		r.Caller = caller
		return forbidden()
	case err != nil:
		return unauthorized()
	}
	r.Caller = caller
	return nil
}

// MayCall reports whether the authenticated caller's key may also call the
// route named scope. An Op uses it to hand out something only a caller of
// that route could get anyway (/servers gives server access tokens only to
// callers of transient-token, which mints admin-level tokens).
func (r *Request) MayCall(scope string) bool {
	c, ok := r.secret.Callers[r.Caller]
	return ok && c.Allows(scope)
}

// Header returns the named request header. API Gateway lower-cases names in
// payload 2.0, but other senders (sam local, tests) may not.
func (r *Request) Header(name string) string {
	if v, ok := r.event.Headers[strings.ToLower(name)]; ok {
		return v
	}
	for k, v := range r.event.Headers {
		if strings.EqualFold(k, name) {
			return v
		}
	}
	return ""
}

// redactions lists what an error text must not show in the log: the caller
// key, the X-Plex-Token header, the admin token and every field value sent
// (the login, the password, the code). Flags ("true", "0") are left out:
// they are no secret and would blot out every digit of the message.
func (r *Request) redactions() []string {
	key := r.key
	if key == "" { // not authenticated: the key sent may still be nearly right
		key, _ = bearer(r.Header("Authorization"))
	}
	out := []string{key, r.Header("X-Plex-Token"), r.secret.PlexToken}
	for _, v := range r.params.strings() {
		switch strings.ToLower(v) {
		case "", "true", "false", "0", "1":
		default:
			out = append(out, v)
		}
	}
	return out
}

// PathParam returns the named parameter of a templated route's path ("id" of
// "/pins/{id}"), "" if absent.
func (r *Request) PathParam(name string) string { return r.event.PathParameters[name] }

// SecretKey is a key for label derived from the admin token (HMAC-SHA256):
// stable while the token is, unrelated to it and to other labels' keys, and
// never the token itself, which stays in this package.
func (r *Request) SecretKey(label string) []byte {
	m := hmac.New(sha256.New, []byte(r.secret.PlexToken))
	m.Write([]byte(label))
	return m.Sum(nil)
}

// Params returns the request's fields: the query string of a GET, the JSON
// or form body otherwise.
func (r *Request) Params() *Params { return &r.params }

// Note records a Plex error the Op answered itself (for example a token that
// plex.tv says is not valid), so the log line still shows what Plex said.
func (r *Request) Note(err error) { r.noted = err }

// readParams decodes the query (GET) or the body (any other method),
// enforcing the size and media type limits.
func (r *Request) readParams() error {
	if r.Method == http.MethodGet {
		return r.readQuery()
	}
	body, err := r.body()
	if err != nil || len(body) == 0 {
		return err
	}
	switch mediaType(r.Header("Content-Type")) {
	case "application/json":
		return r.params.decodeJSON(body)
	case "application/x-www-form-urlencoded":
		return r.params.decodeForm("body", string(body))
	}
	return unsupportedMediaType()
}

// body returns the raw body, base64-decoded if API Gateway encoded it. Both
// sizes are checked, the encoded one before any decoding work.
func (r *Request) body() ([]byte, error) {
	raw := r.event.Body
	if !r.event.IsBase64Encoded {
		if len(raw) > MaxBodyBytes {
			return nil, payloadTooLarge()
		}
		return []byte(raw), nil
	}
	if len(raw) > base64.StdEncoding.EncodedLen(MaxBodyBytes) {
		return nil, payloadTooLarge()
	}
	b, err := base64.StdEncoding.DecodeString(raw)
	if err != nil {
		return nil, InvalidField("body", "is not valid base64")
	}
	if len(b) > MaxBodyBytes {
		return nil, payloadTooLarge()
	}
	return b, nil
}

func (r *Request) readQuery() error {
	if r.event.QueryStringParameters != nil {
		r.params.text = r.event.QueryStringParameters
		return nil
	}
	if r.event.RawQueryString == "" {
		return nil
	}
	return r.params.decodeForm("query string", r.event.RawQueryString)
}

// mediaType returns the lower-case media type without parameters
// ("application/json; charset=utf-8" -> "application/json"), or "".
func mediaType(header string) string {
	mt, _, err := mime.ParseMediaType(header)
	if err != nil {
		return ""
	}
	return mt
}

// Params reads named fields from a JSON object or a query/form string. The
// first problem is kept and reported by Err, so an Op reads all its fields
// and checks once. Unknown fields are ignored.
type Params struct {
	json map[string]json.RawMessage
	text map[string]string
	err  error
}

func (p *Params) decodeJSON(body []byte) error {
	if err := json.Unmarshal(body, &p.json); err != nil || p.json == nil {
		return InvalidField("body", "must be a JSON object")
	}
	return nil
}

// decodeForm reads a query or form string; field names it in an error.
func (p *Params) decodeForm(field, s string) error {
	v, err := url.ParseQuery(s)
	if err != nil {
		return InvalidField(field, "is not valid URL encoding")
	}
	p.text = make(map[string]string, len(v))
	for k, vs := range v {
		p.text[k] = vs[0]
	}
	return nil
}

// String returns the named field, "" if absent (or JSON null).
func (p *Params) String(name string) string {
	if p.err != nil {
		return ""
	}
	if p.json == nil {
		return p.text[name]
	}
	raw, ok := p.json[name]
	if !ok || string(raw) == "null" {
		return ""
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		p.err = InvalidField(name, "must be a string")
	}
	return s
}

// Required is String for a field that must be present and not empty.
func (p *Params) Required(name string) string {
	s := p.String(name)
	if p.err == nil && strings.TrimSpace(s) == "" {
		p.err = InvalidField(name, "is required")
	}
	return s
}

// Bool returns the named field, false if absent. JSON takes true or false;
// a query or form takes true, false, 1 or 0.
func (p *Params) Bool(name string) bool {
	if p.err != nil {
		return false
	}
	if p.json != nil {
		raw, ok := p.json[name]
		if !ok || string(raw) == "null" {
			return false
		}
		var b bool
		if err := json.Unmarshal(raw, &b); err != nil {
			p.err = InvalidField(name, "must be true or false")
		}
		return b
	}
	switch strings.ToLower(p.text[name]) {
	case "", "false", "0":
		return false
	case "true", "1":
		return true
	}
	p.err = InvalidField(name, "must be true, false, 1 or 0")
	return false
}

// strings returns the value of every field that is a string.
func (p *Params) strings() []string {
	var out []string
	for _, v := range p.text {
		out = append(out, v)
	}
	for _, raw := range p.json {
		var s string
		if json.Unmarshal(raw, &s) == nil {
			out = append(out, s)
		}
	}
	return out
}

// Err returns the first problem met while reading fields.
func (p *Params) Err() error { return p.err }
