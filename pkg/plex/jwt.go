package plex

import (
	"encoding/base64"
	"encoding/json"
	"math"
	"strings"
	"time"
)

// Token kinds, as InspectToken reports them.
const (
	TokenClassic = "classic" // an opaque token (the classic 20 characters, or anything not a JWT)
	TokenJWT     = "jwt"     // a Plex JWT: it expires (7 days) and nothing here can refresh it
)

// InspectToken says whether tok is a well-formed JWT (three base64url parts,
// a JSON header naming an alg) and, if so, when its exp claim says it
// expires (zero when it has none). The signature is NOT verified: the expiry
// is a hint for a warning, never a reason to trust the token. Nothing else
// of the payload is returned, so no claim can reach an answer or a log.
func InspectToken(tok string) (kind string, expires time.Time) {
	parts := strings.Split(tok, ".")
	if len(parts) != 3 || parts[2] == "" {
		return TokenClassic, time.Time{}
	}
	var header struct {
		Alg string `json:"alg"`
	}
	var payload struct {
		Exp json.RawMessage `json:"exp"` // a number by the JWT spec; anything else is ignored
	}
	sig, serr := base64.RawURLEncoding.DecodeString(parts[2])
	if serr != nil || len(sig) == 0 || !decodePart(parts[0], &header) || header.Alg == "" || !decodePart(parts[1], &payload) {
		return TokenClassic, time.Time{}
	}
	var f float64
	if err := json.Unmarshal(payload.Exp, &f); err == nil && f > 0 && f < math.MaxInt32*4 {
		sec, frac := math.Modf(f)
		expires = time.Unix(int64(sec), int64(frac*1e9)).UTC()
	}
	return TokenJWT, expires
}

// decodePart reads one base64url part (padding tolerated) as a JSON object.
func decodePart(s string, v any) bool {
	b, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(s, "="))
	if err != nil || len(b) == 0 || b[0] != '{' {
		return false
	}
	return json.Unmarshal(b, v) == nil
}
