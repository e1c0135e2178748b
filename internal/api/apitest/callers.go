package apitest

import "github.com/plexauth/plexauth/internal/secret"

// A second caller, for tests that tell callers apart.
const (
	OtherCallerName = "other"
	OtherCallerKey  = "other-caller-key-0002"
)

// TwoCallers returns a secret holding plexToken, the test caller and the
// other caller.
func TwoCallers(plexToken string) secret.Value {
	return ValueWith(plexToken, Tester, Caller{Name: OtherCallerName, Key: OtherCallerKey})
}

// AuthorizedAs returns a copy of e with key as the caller key.
func (e Event) AuthorizedAs(key string) Event { return e.With("Authorization", "Bearer "+key) }
