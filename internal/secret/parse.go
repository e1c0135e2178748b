package secret

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
)

const hashPrefix = "sha256:"

// Parse reads a secret value: a JSON object (when it starts with "{") or a
// plain string, the admin token alone. Errors wrap ErrMalformed and say what is
// wrong without quoting any of the value (a caller's name is not secret).
func Parse(raw string) (Value, error) {
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
		PlexToken *string           `json:"plexToken"`
		Callers   map[string]string `json:"callers"`
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
	callers, err := parseCallers(doc.Callers)
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

func parseCallers(in map[string]string) (map[string][32]byte, error) {
	if len(in) == 0 {
		return nil, nil
	}
	names := make([]string, 0, len(in))
	for name := range in {
		names = append(names, name)
	}
	slices.Sort(names) // stable error messages
	out := make(map[string][32]byte, len(in))
	owner := make(map[[32]byte]string, len(in))
	for _, name := range names {
		if strings.TrimSpace(name) == "" {
			return nil, malformed("a caller has an empty name")
		}
		sum, ok := decodeHash(in[name])
		if !ok {
			return nil, malformed(fmt.Sprintf("caller %q: key hash must be %q followed by 64 hex digits", name, hashPrefix))
		}
		// Two callers with one key could not be told apart.
		if other, dup := owner[sum]; dup {
			return nil, malformed(fmt.Sprintf("callers %q and %q have the same key hash", other, name))
		}
		owner[sum] = name
		out[name] = sum
	}
	return out, nil
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
		return malformed(fmt.Sprintf("%s has the wrong type (%s); want {\"plexToken\":string,\"callers\":{name:string}}", field(te.Field), got))
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
