package plextest_test

import (
	"encoding/json"
	"encoding/xml"
	"strings"
	"testing"

	"github.com/plexauth/plexauth/pkg/plex/plextest"
)

// XML shapes as a client would decode them.
type (
	xmlConnection struct {
		URI   string `xml:"uri,attr"`
		Local string `xml:"local,attr"`
		Relay string `xml:"relay,attr"`
	}
	xmlContainer struct {
		XMLName xml.Name `xml:"MediaContainer"`
		Token   string   `xml:"token,attr"`
		Device  struct {
			ClientIdentifier string          `xml:"clientIdentifier,attr"`
			AccessToken      string          `xml:"accessToken,attr"`
			Connections      []xmlConnection `xml:"Connection"`
		} `xml:"Device"`
	}
	xmlUser struct {
		XMLName          xml.Name `xml:"user"`
		Username         string   `xml:"username,attr"`
		AuthToken        string   `xml:"authToken,attr"`
		TwoFactorEnabled string   `xml:"twoFactorEnabled,attr"`
		Subscription     struct {
			Active string `xml:"active,attr"`
		} `xml:"subscription"`
	}
	xmlErrors struct {
		XMLName xml.Name `xml:"errors"`
		Errors  []struct {
			Code    int    `xml:"code,attr"`
			Message string `xml:"message,attr"`
			Status  int    `xml:"status,attr"`
		} `xml:"error"`
	}
)

// TestNegotiation: JSON only for exactly "Accept: application/json",
// XML for anything else, with the same content.
func TestNegotiation(t *testing.T) {
	srv := plextest.NewServer()
	defer srv.Close()

	resources := call{method: "GET", path: "/security/resources?source=" + plextest.ServerSource, token: plextest.AdminToken}
	user := call{method: "GET", path: "/api/v2/user", token: plextest.TwoFactorToken}
	badUser := call{method: "GET", path: "/api/v2/user", token: "nope"}
	transient := call{method: "POST", path: transientPath, token: plextest.AdminToken}
	bobNoCode := call{method: "POST", path: "/api/v2/users/signin", form: signinForm(plextest.TwoFactorLogin, plextest.TwoFactorPassword, "")}

	tests := []struct {
		name   string
		call   call
		accept string
		xml    bool
		check  func(t *testing.T, body []byte)
	}{
		{name: "json", call: transient, accept: "application/json"},
		{name: "json with spaces", call: transient, accept: " application/json "},
		{name: "no Accept", call: transient, accept: "-", xml: true, check: func(t *testing.T, b []byte) {
			var c xmlContainer
			decodeXML(t, b, &c)
			if !strings.HasPrefix(c.Token, "transient-") {
				t.Errorf("token = %q", c.Token)
			}
		}},
		{name: "a list with json first", call: transient, accept: "application/json, text/plain, */*", xml: true},
		{name: "xml asked", call: transient, accept: "application/xml", xml: true},
		{name: "resources xml booleans", call: resources, accept: "-", xml: true, check: func(t *testing.T, b []byte) {
			var c xmlContainer
			decodeXML(t, b, &c)
			d := c.Device
			if d.ClientIdentifier != plextest.ServerID || !strings.HasPrefix(d.AccessToken, "transient-") || len(d.Connections) != 2 {
				t.Fatalf("device = %+v", d)
			}
			if got := d.Connections[0].Local + d.Connections[0].Relay + d.Connections[1].Local + d.Connections[1].Relay; got != "1001" {
				t.Errorf("local/relay attributes = %s, want 1,0,0,1", got)
			}
		}},
		{name: "user xml", call: user, accept: "*/*", xml: true, check: func(t *testing.T, b []byte) {
			var u xmlUser
			decodeXML(t, b, &u)
			if u.Username != plextest.TwoFactorLogin || u.AuthToken != plextest.TwoFactorToken || u.TwoFactorEnabled != "1" || u.Subscription.Active != "1" {
				t.Errorf("user = %+v", u)
			}
		}},
		{name: "error xml", call: badUser, accept: "-", xml: true, check: func(t *testing.T, b []byte) {
			var e xmlErrors
			decodeXML(t, b, &e)
			if len(e.Errors) != 1 || e.Errors[0].Code != 1001 || e.Errors[0].Status != 401 || e.Errors[0].Message == "" {
				t.Errorf("errors = %+v", e)
			}
		}},
		{name: "two-factor error xml", call: bobNoCode, accept: "text/xml", xml: true, check: func(t *testing.T, b []byte) {
			var e xmlErrors
			decodeXML(t, b, &e)
			if len(e.Errors) != 1 || e.Errors[0].Code != 1029 {
				t.Errorf("errors = %+v", e)
			}
		}},
		{name: "error json", call: bobNoCode, accept: "application/json"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := tt.call
			c.accept = tt.accept
			got := do(t, srv, c)
			ct := got.header.Get("Content-Type")
			switch {
			case tt.xml && (!strings.HasPrefix(ct, "application/xml") || !strings.HasPrefix(string(got.body), xml.Header)):
				t.Errorf("Content-Type %q, body %.60s: want XML", ct, got.body)
			case !tt.xml && (!strings.HasPrefix(ct, "application/json") || !json.Valid(got.body)):
				t.Errorf("Content-Type %q, body %.60s: want JSON", ct, got.body)
			}
			if tt.check != nil {
				tt.check(t, got.body)
			}
		})
	}
}

func decodeXML(t *testing.T, b []byte, v any) {
	t.Helper()
	if err := xml.Unmarshal(b, v); err != nil {
		t.Fatalf("decode XML: %v\n%s", err, b)
	}
}
