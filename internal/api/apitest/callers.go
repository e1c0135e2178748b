package apitest

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"

	"github.com/plexauth/plexauth/internal/secret"
)

// A second caller, for tests that tell callers apart.
const (
	OtherCallerName = "other"
	OtherCallerKey  = "other-caller-key-0002"
)

// TwoCallers returns a secret holding plexToken, the test caller and the
// other caller. It goes through secret.Parse, as a stored secret would.
func TwoCallers(plexToken string) secret.Value {
	callers := map[string]string{}
	for name, key := range map[string]string{CallerName: CallerKey, OtherCallerName: OtherCallerKey} {
		sum := sha256.Sum256([]byte(key))
		callers[name] = "sha256:" + hex.EncodeToString(sum[:])
	}
	b, _ := json.Marshal(map[string]any{"plexToken": plexToken, "callers": callers})
	v, err := secret.Parse(string(b))
	if err != nil {
		panic("apitest: TwoCallers: " + err.Error())
	}
	return v
}

// AuthorizedAs returns a copy of e with key as the caller key.
func (e Event) AuthorizedAs(key string) Event { return e.With("Authorization", "Bearer "+key) }
