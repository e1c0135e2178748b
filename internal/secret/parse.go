package secret

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

const hashPrefix = "sha256:"

// Parse reads a secret value: a JSON object (when it starts with "{") or a
// plain string, the admin token alone. routes are the valid route (scope)
// names a caller's "routes" may list; with none, a caller that lists any is
// malformed. Errors wrap ErrMalformed and say what is wrong without quoting
// any of the value (a caller's name is not secret).
func Parse(raw string, routes []string) (Value, error) {
	s := strings.TrimSpace(raw)
	if s == "" {
		return Value{}, malformed("the value is empty")
	}
	if s[0] != '{' {
		if err := checkToken(s); err != nil {
			return Value{}, err
		}
		return Value{PlexToken: s}, nil
	}

	var doc struct {
		PlexToken *string                    `json:"plexToken"`
		Callers   map[string]json.RawMessage `json:"callers"`
	}
	if err := json.Unmarshal([]byte(s), &doc); err != nil {
		return Value{}, describeJSON(err)
	}
	if doc.PlexToken == nil {
		return Value{}, malformed(`"plexToken" is missing`)
	}
	tok := strings.TrimSpace(*doc.PlexToken)
	if err := checkToken(tok); err != nil {
		return Value{}, err
	}
	callers, err := parseCallers(doc.Callers, routes)
	if err != nil {
		return Value{}, err
	}
	return Value{PlexToken: tok, Callers: callers}, nil
}

// checkToken rejects what could not be a Plex token and would at best fail at
// Plex, at worst be refused by net/http as a header value.
func checkToken(tok string) error {
	if tok == "" {
		return malformed("plexToken is empty")
	}
	for i := 0; i < len(tok); i++ {
		if tok[i] <= ' ' || tok[i] > '~' {
			return malformed("plexToken must be printable ASCII without spaces")
		}
	}
	return nil
}

func parseCallers(in map[string]json.RawMessage, routes []string) (map[string]Caller, error) {
	if len(in) == 0 {
		return nil, nil
	}
	names := make([]string, 0, len(in))
	for name := range in {
		names = append(names, name)
	}
	slices.Sort(names) // stable error messages
	out := make(map[string]Caller, len(in))
	owner := make(map[[32]byte]string, len(in))
	for _, name := range names {
		if strings.TrimSpace(name) == "" {
			return nil, malformed("a caller has an empty name")
		}
		c, problem := parseCaller(in[name], routes)
		if problem != "" {
			return nil, malformed(fmt.Sprintf("caller %q: %s", name, problem))
		}
		// Two callers with one key could not be told apart.
		if other, dup := owner[c.Hash]; dup {
			return nil, malformed(fmt.Sprintf("callers %q and %q have the same key hash", other, name))
		}
		owner[c.Hash] = name
		out[name] = c
	}
	return out, nil
}

// callerFields are the fields of a caller object.
var callerFields = []string{"key", "routes", "expires"}

// parseCaller reads one caller entry: "sha256:<hex>" (every route, no expiry)
// or {"key","routes","expires"}. The problem it reports quotes none of the
// entry, not even a misspelt field or route name: it could be a pasted key.
func parseCaller(raw json.RawMessage, routes []string) (c Caller, problem string) {
	const badHash = `key hash must be "` + hashPrefix + `" followed by 64 hex digits`
	var key, scope, expires json.RawMessage
	switch raw[0] {
	case '"':
		key = raw
	case '{':
		var fields map[string]json.RawMessage
		if json.Unmarshal(raw, &fields) != nil {
			return c, "is not a JSON object" // unreachable: the whole value decoded
		}
		for f := range fields {
			if !slices.Contains(callerFields, f) {
				return c, "has a field other than key, routes and expires"
			}
		}
		key, scope, expires = fields["key"], fields["routes"], fields["expires"]
		if key == nil {
			return c, "key is missing"
		}
	default:
		return c, `has the wrong type; want "` + hashPrefix + `<hex>" or {"key":…,"routes":[…],"expires":…}`
	}

	var s string
	var ok bool
	if json.Unmarshal(key, &s) != nil {
		return c, badHash
	}
	if c.Hash, ok = decodeHash(s); !ok {
		return c, badHash
	}
	if scope != nil { // null, [] and [1] all fail: only a list of names passes
		if json.Unmarshal(scope, &c.Routes) != nil || c.Routes == nil {
			return c, "routes must be a list of route names"
		}
		if len(c.Routes) == 0 {
			return c, "routes is empty; leave it out to allow every route"
		}
		for i, r := range c.Routes {
			if !slices.Contains(routes, r) {
				return c, fmt.Sprintf("routes[%d] is not one of the routes (%s)", i, strings.Join(routes, ", "))
			}
		}
	}
	if expires != nil {
		var when string
		err := json.Unmarshal(expires, &when)
		if err == nil {
			c.Expires, err = time.Parse(time.RFC3339, when)
		}
		if err != nil {
			return c, "expires must be an RFC 3339 time, e.g. 2027-06-30T00:00:00Z"
		}
	}
	return c, ""
}

func decodeHash(s string) (sum [32]byte, ok bool) {
	h, ok := strings.CutPrefix(s, hashPrefix)
	if !ok || len(h) != hex.EncodedLen(len(sum)) {
		return sum, false
	}
	_, err := hex.Decode(sum[:], []byte(h))
	return sum, err == nil
}

// describeJSON turns a decoding error into a message without any of the input:
// json's own messages can quote characters of it.
func describeJSON(err error) error {
	if se, ok := errors.AsType[*json.SyntaxError](err); ok {
		return malformed(fmt.Sprintf("not valid JSON (at byte %d)", se.Offset))
	}
	if te, ok := errors.AsType[*json.UnmarshalTypeError](err); ok {
		got, _, _ := strings.Cut(te.Value, " ") // "number 123" quotes the number
		return malformed(fmt.Sprintf("%s has the wrong type (%s); want {\"plexToken\":string,\"callers\":{name:caller}}", field(te.Field), got))
	}
	return malformed("not valid JSON")
}

func field(path string) string {
	if path == "" {
		return "the value"
	}
	return fmt.Sprintf("%q", path)
}

func malformed(problem string) error {
	return fmt.Errorf("%w: %s", ErrMalformed, problem)
}
