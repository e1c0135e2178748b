package secret

import (
	"encoding/hex"
	"encoding/json"
	"time"
)

// Encode is the inverse of Parse: v as the secret's JSON, a caller on every
// route without expiry in the string form, any other as an object. It holds
// the admin token: it is for writing the secret (tools, tests), never for a
// log line.
func Encode(v Value) string {
	callers := make(map[string]any, len(v.Callers))
	for name, c := range v.Callers {
		key := hashPrefix + hex.EncodeToString(c.Hash[:])
		if c.Routes == nil && c.Expires.IsZero() {
			callers[name] = key
			continue
		}
		obj := map[string]any{"key": key}
		if c.Routes != nil {
			obj["routes"] = c.Routes
		}
		if !c.Expires.IsZero() {
			obj["expires"] = c.Expires.Format(time.RFC3339)
		}
		callers[name] = obj
	}
	// Strings, slices and maps of them: Marshal cannot fail.
	b, _ := json.Marshal(map[string]any{"plexToken": v.PlexToken, "callers": callers})
	return string(b)
}
