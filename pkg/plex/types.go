package plex

// Device is a source's connection information, as GET /security/resources
// returns it. AccessToken is itself a transient token for that source.
type Device struct {
	Name             string       `json:"name"`
	ClientIdentifier string       `json:"clientIdentifier"`
	AccessToken      string       `json:"accessToken"`
	Connections      []Connection `json:"connections"`
}

// Connection is one way to reach a Device.
type Connection struct {
	Protocol string `json:"protocol"`
	Address  string `json:"address"`
	Port     int    `json:"port"`
	URI      string `json:"uri"`
	Local    bool   `json:"local"`
	Relay    bool   `json:"relay"`
}

// User is the plex.tv account behind a token. AuthToken is the account's
// token; it is never marshalled with the rest so that a response which embeds
// a User cannot echo a token by accident.
type User struct {
	ID               int64         `json:"id"`
	UUID             string        `json:"uuid"`
	Username         string        `json:"username"`
	Email            string        `json:"email"`
	Title            string        `json:"title"`
	FriendlyName     string        `json:"friendlyName"`
	Thumb            string        `json:"thumb,omitempty"`
	TwoFactorEnabled bool          `json:"twoFactorEnabled"`
	JoinedAt         int64         `json:"joinedAt"` // unix seconds
	Subscription     *Subscription `json:"subscription,omitempty"`
	AuthToken        string        `json:"-"`
}

// Subscription summarises the account's Plex Pass. Status and Plan are passed
// through as Plex sends them: new values appear without notice.
type Subscription struct {
	Active bool   `json:"active"`
	Status string `json:"status,omitempty"`
	Plan   string `json:"plan,omitempty"`
}

// SourceQuery selects a source for Client.Source.
type SourceQuery struct {
	// Source is "server://<client-identifier>" or "provider://<provider-identifier>".
	Source string
	// Refresh asks the server to refresh its view of the source (refresh=1).
	Refresh bool
}

// Credentials are what Client.SignIn sends to plex.tv.
type Credentials struct {
	Login            string // email or username
	Password         string
	VerificationCode string // optional two-factor code
	RememberMe       bool
}
