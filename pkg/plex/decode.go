package plex

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// format is how a body is encoded, as its Content-Type says.
type format int

const (
	formatUnknown format = iota // e.g. text/html: neither data nor a message
	formatJSON
	formatXML
)

// formatOf reads the Content-Type; only when there is none does it look at
// the body's first byte.
func formatOf(contentType string, body []byte) format {
	mt, _, _ := strings.Cut(contentType, ";")
	mt = strings.ToLower(strings.TrimSpace(mt))
	switch {
	case mt == "application/json" || mt == "text/json" || strings.HasSuffix(mt, "+json"):
		return formatJSON
	case mt == "application/xml" || mt == "text/xml" || strings.HasSuffix(mt, "+xml"):
		return formatXML
	case mt == "":
		if b := bytes.TrimSpace(body); len(b) > 0 {
			switch b[0] {
			case '{', '[':
				return formatJSON
			case '<':
				return formatXML
			}
		}
	}
	return formatUnknown
}

// Wire shapes. One struct serves both encodings: JSON wraps the PMS answers
// in {"MediaContainer": ...} where XML's root element is the container.

type transientContainer struct {
	Token string `json:"token" xml:"token,attr"`
}

type resourcesContainer struct {
	Devices deviceList `json:"Device" xml:"Device"`
}

type wireDevice struct {
	Name             string           `json:"name" xml:"name,attr"`
	ClientIdentifier string           `json:"clientIdentifier" xml:"clientIdentifier,attr"`
	AccessToken      string           `json:"accessToken" xml:"accessToken,attr"`
	Connections      []wireConnection `json:"Connection" xml:"Connection"`
}

type wireConnection struct {
	Protocol string   `json:"protocol" xml:"protocol,attr"`
	Address  string   `json:"address" xml:"address,attr"`
	Port     flexInt  `json:"port" xml:"port,attr"`
	URI      string   `json:"uri" xml:"uri,attr"`
	Local    flexBool `json:"local" xml:"local,attr"`
	Relay    flexBool `json:"relay" xml:"relay,attr"`
}

// public is the Connection wc describes.
func (wc wireConnection) public() Connection {
	return Connection{
		Protocol: wc.Protocol,
		Address:  wc.Address,
		Port:     int(wc.Port),
		URI:      wc.URI,
		Local:    bool(wc.Local),
		Relay:    bool(wc.Relay),
	}
}

type wireUser struct {
	ID               flexInt           `json:"id" xml:"id,attr"`
	UUID             string            `json:"uuid" xml:"uuid,attr"`
	Username         string            `json:"username" xml:"username,attr"`
	Email            string            `json:"email" xml:"email,attr"`
	Title            string            `json:"title" xml:"title,attr"`
	FriendlyName     string            `json:"friendlyName" xml:"friendlyName,attr"`
	Thumb            string            `json:"thumb" xml:"thumb,attr"`
	TwoFactorEnabled flexBool          `json:"twoFactorEnabled" xml:"twoFactorEnabled,attr"`
	JoinedAt         flexInt           `json:"joinedAt" xml:"joinedAt,attr"`
	AuthToken        string            `json:"authToken" xml:"authToken,attr"`
	Subscription     *wireSubscription `json:"subscription" xml:"subscription"`
}

type wireSubscription struct {
	Active flexBool `json:"active" xml:"active,attr"`
	Status string   `json:"status" xml:"status,attr"`
	Plan   string   `json:"plan" xml:"plan,attr"`
}

// wireErrors is plex.tv's error body: {"errors":[{code,message,status}]} or
// <errors><error code= message= status=/></errors>; old answers put the
// message in the element's text.
type wireErrors struct {
	Errors []struct {
		Code    flexInt `json:"code" xml:"code,attr"`
		Message string  `json:"message" xml:"message,attr"`
		Text    string  `json:"-" xml:",chardata"`
	} `json:"errors" xml:"error"`
}

var (
	errNoToken     = errors.New("no token in the answer")
	errNoDevice    = errors.New("no device in the answer")
	errNoUser      = errors.New("no user in the answer")
	errNoAuthToken = errors.New("no authToken in the answer")
	errNoIdentity  = errors.New("no machineIdentifier in the answer")
)

func decodeTransient(f format, body []byte) (string, error) {
	c, err := decode[transientContainer](f, body, true)
	if err != nil {
		return "", err
	}
	if c.Token == "" {
		return "", errNoToken
	}
	return c.Token, nil
}

// decodeDevice returns the source's device, which needs a clientIdentifier
// or an accessToken to be one. Connections is never nil, so that it marshals
// as [] rather than null.
func decodeDevice(f format, body []byte) (*Device, error) {
	w, err := firstDevice(f, body)
	if err != nil {
		return nil, err
	}
	if w.ClientIdentifier == "" && w.AccessToken == "" {
		return nil, errNoDevice
	}
	d := &Device{
		Name:             w.Name,
		ClientIdentifier: w.ClientIdentifier,
		AccessToken:      w.AccessToken,
		Connections:      make([]Connection, len(w.Connections)),
	}
	for i, wc := range w.Connections {
		d.Connections[i] = wc.public()
	}
	return d, nil
}

// decodeUser returns the account; it needs at least an id or a uuid to be one.
func decodeUser(f format, body []byte) (*User, error) {
	w, err := decode[wireUser](f, body, false)
	if err != nil {
		return nil, err
	}
	if w.ID == 0 && w.UUID == "" {
		return nil, errNoUser
	}
	u := &User{
		ID:               int64(w.ID),
		UUID:             w.UUID,
		Username:         w.Username,
		Email:            w.Email,
		Title:            w.Title,
		FriendlyName:     w.FriendlyName,
		Thumb:            w.Thumb,
		TwoFactorEnabled: bool(w.TwoFactorEnabled),
		JoinedAt:         int64(w.JoinedAt),
		AuthToken:        w.AuthToken,
	}
	if s := w.Subscription; s != nil {
		u.Subscription = &Subscription{Active: bool(s.Active), Status: s.Status, Plan: s.Plan}
	}
	return u, nil
}

// firstDevice returns MediaContainer.Device, or its first element if it is
// an array. JSON is first read as the one object the spec says it is, in one
// pass; deviceList would scan the device twice more (about 40% of the
// decoding time). Only an answer in which that finds no device is read
// again, through deviceList, as either shape.
func firstDevice(f format, body []byte) (wireDevice, error) {
	if f == formatJSON {
		one, err := decode[struct {
			Device wireDevice `json:"Device"`
		}](f, body, true)
		if err != nil || one.Device.ClientIdentifier != "" || one.Device.AccessToken != "" {
			return one.Device, err
		}
	}
	c, err := decode[resourcesContainer](f, body, true)
	if err != nil || len(c.Devices) == 0 {
		return wireDevice{}, err
	}
	return c.Devices[0], nil
}

// decodeError returns the first error's code and raw message, zero values
// when the body holds none.
func decodeError(f format, body []byte) (code int, message string) {
	w, err := decode[wireErrors](f, body, false)
	if err != nil || len(w.Errors) == 0 {
		return 0, ""
	}
	e := w.Errors[0]
	if e.Message == "" {
		e.Message = e.Text
	}
	return int(e.Code), e.Message
}

// decode reads body into a T. container says the JSON form wraps T in
// {"MediaContainer": ...}. Errors never quote the body: it may hold tokens.
func decode[T any](f format, body []byte, container bool) (T, error) {
	var v T
	switch f {
	case formatJSON:
		if container {
			var w struct{ MediaContainer T }
			err := unmarshalJSON(body, &w)
			return w.MediaContainer, err
		}
		err := unmarshalJSON(body, &v)
		return v, err
	case formatXML:
		err := xml.Unmarshal(body, &v)
		var se *xml.SyntaxError
		if errors.As(err, &se) {
			return v, fmt.Errorf("invalid XML at line %d", se.Line)
		}
		if err != nil {
			return v, errors.New("invalid XML")
		}
		return v, nil
	}
	return v, errors.New("answer is neither JSON nor XML")
}

// unmarshalJSON leaves a field of an unexpected type at its zero value
// instead of failing: Plex changes shapes without notice, and a missing
// required value is caught by the caller.
func unmarshalJSON(body []byte, v any) error {
	err := json.Unmarshal(body, v)
	if err == nil {
		return nil
	}
	// Declared here, not above: errors.As makes them escape, which would
	// cost two allocations on every successful decode.
	var te *json.UnmarshalTypeError
	var se *json.SyntaxError
	switch {
	case errors.As(err, &te):
		return nil
	case errors.As(err, &se):
		return fmt.Errorf("invalid JSON at offset %d", se.Offset)
	}
	return errors.New("invalid JSON")
}

// deviceList takes MediaContainer.Device as the one object the spec says it
// is, or as an array.
type deviceList []wireDevice

func (l *deviceList) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case len(b) > 0 && b[0] == '[':
		return unmarshalJSON(b, (*[]wireDevice)(l))
	case len(b) > 0 && b[0] == '{':
		var d wireDevice
		if err := unmarshalJSON(b, &d); err != nil {
			return err
		}
		*l = deviceList{d}
	}
	return nil
}

// flexInt and flexBool accept a value however Plex spells it (JSON numbers,
// booleans or strings; XML's 0/1 attributes) and read anything else as zero.

type flexInt int64

func (n *flexInt) UnmarshalJSON(b []byte) error {
	*n = parseFlexInt(strings.Trim(string(b), `"`))
	return nil
}

func (n *flexInt) UnmarshalXMLAttr(a xml.Attr) error {
	*n = parseFlexInt(a.Value)
	return nil
}

func parseFlexInt(s string) flexInt {
	i, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	if err != nil {
		return 0
	}
	return flexInt(i)
}

type flexBool bool

func (v *flexBool) UnmarshalJSON(b []byte) error {
	*v = parseFlexBool(strings.Trim(string(b), `"`))
	return nil
}

func (v *flexBool) UnmarshalXMLAttr(a xml.Attr) error {
	*v = parseFlexBool(a.Value)
	return nil
}

func parseFlexBool(s string) flexBool {
	switch strings.TrimSpace(s) {
	case "1", "true", "True":
		return true
	}
	return false
}
