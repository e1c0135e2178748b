package plextest

import "strings"

// Default fixtures. They are fake values, safe to print and to commit.
const (
	AdminToken        = "sim-admin-token-0001" // accepted by the PMS routes and by /api/v2/user
	ServerID          = "a1b2c3d4e5f6"         // Source "server://" + ServerID is known
	ProviderID        = "tv.plex.provider.epg" // Source "provider://" + ProviderID is known
	UserLogin         = "alice"
	UserEmail         = "alice@example.com" // signs in like UserLogin
	UserPassword      = "correct-horse-battery"
	UserToken         = "sim-alice-token-0001"
	TwoFactorLogin    = "bob"
	TwoFactorEmail    = "bob@example.com"
	TwoFactorPassword = "bob-password-staple"
	TwoFactorCode     = "123456"
	TwoFactorToken    = "sim-bob-token-0001"

	AdminLogin = "simadmin" // the admin account's username (it has no password: it never signs in)

	ServerSource   = "server://" + ServerID
	ProviderSource = "provider://" + ProviderID

	// MaxFailedSignIns is how many failed sign-ins one remote IP may make;
	// every further attempt gets 401 code 1031 until Reset.
	MaxFailedSignIns = 5
)

// account is the plex.tv UserPlexAccount as /api/v2/user answers it. The
// optional fields Plex usually sends are included so that a client decoding
// leniently is exercised on a realistic body.
type account struct {
	ID                      int            `json:"id"`
	UUID                    string         `json:"uuid"`
	Username                string         `json:"username"`
	Email                   string         `json:"email"`
	Title                   string         `json:"title"`
	FriendlyName            string         `json:"friendlyName"`
	Thumb                   string         `json:"thumb"`
	AuthToken               string         `json:"authToken"`
	HasPassword             bool           `json:"hasPassword"`
	TwoFactorEnabled        bool           `json:"twoFactorEnabled"`
	BackupCodesCreated      bool           `json:"backupCodesCreated"`
	JoinedAt                int64          `json:"joinedAt"`
	Confirmed               bool           `json:"confirmed"`
	Country                 string         `json:"country"`
	Locale                  *string        `json:"locale"`
	EmailOnlyAuth           bool           `json:"emailOnlyAuth"`
	ExperimentalFeatures    bool           `json:"experimentalFeatures"`
	Guest                   bool           `json:"guest"`
	Home                    bool           `json:"home"`
	HomeAdmin               bool           `json:"homeAdmin"`
	HomeSize                int            `json:"homeSize"`
	MaxHomeSize             int            `json:"maxHomeSize"`
	Protected               bool           `json:"protected"`
	Restricted              bool           `json:"restricted"`
	MailingListActive       bool           `json:"mailingListActive"`
	MailingListStatus       string         `json:"mailingListStatus"`
	ScrobbleTypes           string         `json:"scrobbleTypes"`
	AdsConsent              *bool          `json:"adsConsent"`
	AttributionPartner      *string        `json:"attributionPartner"`
	Entitlements            []string       `json:"entitlements"`
	Roles                   []string       `json:"roles"`
	Services                []service      `json:"services"`
	Profile                 profile        `json:"profile"`
	Subscription            subscription   `json:"subscription"`
	Subscriptions           []subscription `json:"subscriptions"`
	SubscriptionDescription *string        `json:"subscriptionDescription"`
}

type service struct {
	Identifier string  `json:"identifier"`
	Endpoint   string  `json:"endpoint"`
	Token      *string `json:"token"`
	Secret     *string `json:"secret"`
	Status     string  `json:"status"`
}

type profile struct {
	AutoSelectAudio              bool    `json:"autoSelectAudio"`
	DefaultAudioLanguage         *string `json:"defaultAudioLanguage"`
	DefaultSubtitleLanguage      *string `json:"defaultSubtitleLanguage"`
	AutoSelectSubtitle           int     `json:"autoSelectSubtitle"`
	DefaultSubtitleAccessibility int     `json:"defaultSubtitleAccessibility"`
	DefaultSubtitleForced        int     `json:"defaultSubtitleForced"`
	WatchedIndicator             int     `json:"watchedIndicator"`
	MediaReviewsVisibility       int     `json:"mediaReviewsVisibility"`
}

type subscription struct {
	Active         bool     `json:"active"`
	SubscribedAt   *string  `json:"subscribedAt"`
	Status         string   `json:"status"`
	PaymentService *string  `json:"paymentService"`
	Plan           *string  `json:"plan"`
	Features       []string `json:"features"`
}

// signInAccount is the 201 body of a sign-in: the account plus two lists
// the spec requires.
type signInAccount struct {
	account
	PastSubscriptions []struct{} `json:"pastSubscriptions"`
	Trials            []struct{} `json:"trials"`
}

// user is an account with the credentials plex.tv checks at sign-in.
type user struct {
	account
	password string // empty: the account cannot sign in
	code     string // two-factor code, when TwoFactorEnabled
}

type connection struct {
	Protocol string `json:"protocol"`
	Address  string `json:"address"`
	Port     int    `json:"port"`
	URI      string `json:"uri"`
	Local    bool   `json:"local"`
	Relay    bool   `json:"relay"`
}

// source is a server or provider /security/resources knows. Its access
// token is not stored: every answer carries a fresh transient token.
type source struct {
	name        string
	id          string
	connections []connection
}

func ptr[T any](v T) *T { return &v }

func newAccount(id int, uuid, username, email, friendly, token string, joined int64, pass bool) account {
	sub := subscription{Active: false, Status: "Inactive", Features: []string{}}
	if pass {
		sub = subscription{
			Active:         true,
			SubscribedAt:   ptr("2021-04-12T18:21:12Z"),
			Status:         "Active",
			PaymentService: ptr("braintree"),
			Plan:           ptr("lifetime"),
			Features:       []string{"pass", "sync", "webhooks", "hardware_transcoding"},
		}
	}
	return account{
		ID:                id,
		UUID:              uuid,
		Username:          username,
		Email:             email,
		Title:             username,
		FriendlyName:      friendly,
		Thumb:             "https://plex.tv/users/" + uuid + "/avatar?c=1556281940",
		AuthToken:         token,
		HasPassword:       true,
		JoinedAt:          joined,
		Confirmed:         true,
		Country:           "US",
		Locale:            nil,
		HomeSize:          1,
		MaxHomeSize:       15,
		MailingListStatus: "active",
		Entitlements:      []string{},
		Roles:             []string{},
		Services: []service{{
			Identifier: "metadata",
			Endpoint:   "https://metadata.provider.plex.tv",
			Status:     "online",
		}},
		Profile: profile{
			AutoSelectAudio:         true,
			DefaultAudioLanguage:    ptr("en"),
			DefaultSubtitleLanguage: ptr("en"),
			AutoSelectSubtitle:      1,
		},
		Subscription:  sub,
		Subscriptions: []subscription{sub},
	}
}

// defaultUsers: index 0 is the admin; its AuthToken follows SetAdminToken.
func defaultUsers() []*user {
	admin := newAccount(1001, "0a1b2c3d4e5f6a7b", AdminLogin, "admin@example.com", "Sim Admin", AdminToken, 1556281940, true)
	admin.HomeAdmin = true
	alice := newAccount(1002, "1b2c3d4e5f6a7b8c", UserLogin, UserEmail, "Alice Example", UserToken, 1600000000, false)
	bob := newAccount(1003, "2c3d4e5f6a7b8c9d", TwoFactorLogin, TwoFactorEmail, "Bob Example", TwoFactorToken, 1650000000, true)
	bob.TwoFactorEnabled = true
	bob.BackupCodesCreated = true
	return []*user{
		{account: admin},
		{account: alice, password: UserPassword},
		{account: bob, password: TwoFactorPassword, code: TwoFactorCode},
	}
}

// connections gives a source its two usual ways in: the LAN address and a
// relay. Addresses come from the documentation ranges.
func connections(lan, relay, hash string) []connection {
	dash := func(ip string) string { return strings.ReplaceAll(ip, ".", "-") }
	return []connection{
		{Protocol: "https", Address: lan, Port: 32400, URI: "https://" + dash(lan) + "." + hash + ".plex.direct:32400", Local: true},
		{Protocol: "https", Address: relay, Port: 8443, URI: "https://" + dash(relay) + "." + hash + ".plex.direct:8443", Relay: true},
	}
}

func defaultSources() map[string]source {
	return map[string]source{
		ServerSource: {
			name:        "Sim Media Server",
			id:          ServerID,
			connections: connections("192.168.1.10", "203.0.113.50", "0123456789abcdef0123456789abcdef"),
		},
		ProviderSource: {
			name:        "Sim Live TV",
			id:          ProviderID,
			connections: connections("192.168.1.20", "203.0.113.60", "fedcba9876543210fedcba9876543210"),
		},
	}
}
