package plex

import (
	"fmt"
	"strings"
)

// maxSourceLen bounds a source: Plex identifiers are tens of bytes long.
const maxSourceLen = 256

// ValidateSource checks that s is "server://<id>" or "provider://<id>" with
// an id of ASCII letters, digits, '.', '-', '_' or ':'. Anything else could
// add parameters to the query or reach beyond the source (&, #, ?, %, /,
// spaces, control or non-ASCII characters). The error names the problem but
// never quotes s.
func ValidateSource(s string) error {
	if msg := sourceProblem(s); msg != "" {
		return invalid(OpSource, msg)
	}
	return nil
}

func sourceProblem(s string) string {
	if s == "" {
		return "source is empty"
	}
	if len(s) > maxSourceLen {
		return fmt.Sprintf("source is longer than %d bytes", maxSourceLen)
	}
	id, ok := strings.CutPrefix(s, "server://")
	if !ok {
		id, ok = strings.CutPrefix(s, "provider://")
	}
	if !ok {
		return "source must start with server:// or provider://"
	}
	if id == "" {
		return "source identifier is empty"
	}
	for i := 0; i < len(id); i++ {
		switch c := id[i]; {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9',
			c == '.', c == '-', c == '_', c == ':':
		case c == ' ', c == '\t', c == '\n', c == '\r', c == '\v', c == '\f':
			return "source identifier contains whitespace"
		case c < 0x20 || c == 0x7f:
			return "source identifier contains a control character"
		case c >= 0x80:
			return "source identifier contains a non-ASCII character"
		default:
			return fmt.Sprintf("source identifier contains %q", c)
		}
	}
	return ""
}
