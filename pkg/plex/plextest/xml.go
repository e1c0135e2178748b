package plextest

import "encoding/xml"

// XML forms of the answers, for clients that do not ask for JSON. Plex writes
// booleans in XML as 0/1.

func b01(b bool) string {
	if b {
		return "1"
	}
	return "0"
}

type tokenXML struct {
	XMLName xml.Name `xml:"MediaContainer"`
	Size    int      `xml:"size,attr"`
	Token   string   `xml:"token,attr"`
}

type connectionXML struct {
	Protocol string `xml:"protocol,attr"`
	Address  string `xml:"address,attr"`
	Port     int    `xml:"port,attr"`
	URI      string `xml:"uri,attr"`
	Local    string `xml:"local,attr"`
	Relay    string `xml:"relay,attr"`
}

type deviceXML struct {
	Name             string          `xml:"name,attr"`
	ClientIdentifier string          `xml:"clientIdentifier,attr"`
	AccessToken      string          `xml:"accessToken,attr"`
	Connections      []connectionXML `xml:"Connection"`
}

type resourcesXML struct {
	XMLName xml.Name  `xml:"MediaContainer"`
	Size    int       `xml:"size,attr"`
	Device  deviceXML `xml:"Device"`
}

func deviceToXML(d deviceJSON) resourcesXML {
	x := deviceXML{Name: d.Name, ClientIdentifier: d.ClientIdentifier, AccessToken: d.AccessToken}
	for _, c := range d.Connections {
		x.Connections = append(x.Connections, connectionXML{
			Protocol: c.Protocol, Address: c.Address, Port: c.Port, URI: c.URI,
			Local: b01(c.Local), Relay: b01(c.Relay),
		})
	}
	return resourcesXML{Size: 1, Device: x}
}

type featureXML struct {
	ID string `xml:"id,attr"`
}

type subscriptionXML struct {
	Active   string       `xml:"active,attr"`
	Status   string       `xml:"status,attr"`
	Plan     string       `xml:"plan,attr,omitempty"`
	Features []featureXML `xml:"features>feature"`
}

type userXML struct {
	XMLName          xml.Name        `xml:"user"`
	ID               int             `xml:"id,attr"`
	UUID             string          `xml:"uuid,attr"`
	Username         string          `xml:"username,attr"`
	Email            string          `xml:"email,attr"`
	Title            string          `xml:"title,attr"`
	FriendlyName     string          `xml:"friendlyName,attr"`
	Thumb            string          `xml:"thumb,attr"`
	AuthToken        string          `xml:"authToken,attr"`
	HasPassword      string          `xml:"hasPassword,attr"`
	TwoFactorEnabled string          `xml:"twoFactorEnabled,attr"`
	JoinedAt         int64           `xml:"joinedAt,attr"`
	Country          string          `xml:"country,attr"`
	HomeAdmin        string          `xml:"homeAdmin,attr"`
	Subscription     subscriptionXML `xml:"subscription"`
}

func userToXML(a account) userXML {
	s := subscriptionXML{Active: b01(a.Subscription.Active), Status: a.Subscription.Status}
	if a.Subscription.Plan != nil {
		s.Plan = *a.Subscription.Plan
	}
	for _, f := range a.Subscription.Features {
		s.Features = append(s.Features, featureXML{ID: f})
	}
	return userXML{
		ID: a.ID, UUID: a.UUID, Username: a.Username, Email: a.Email, Title: a.Title,
		FriendlyName: a.FriendlyName, Thumb: a.Thumb, AuthToken: a.AuthToken,
		HasPassword: b01(a.HasPassword), TwoFactorEnabled: b01(a.TwoFactorEnabled),
		JoinedAt: a.JoinedAt, Country: a.Country, HomeAdmin: b01(a.HomeAdmin),
		Subscription: s,
	}
}
