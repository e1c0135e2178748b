package plextest

import (
	"encoding/json"
	"encoding/xml"
	"net/http"
	"strconv"
	"strings"
)

// Plex error codes (errors[].code).
const (
	codeNoClientID   = 1000
	codeUnauthorized = 1001
	codeBadCode      = 1028
	codeCodeRequired = 1029
	codeIPBlocked    = 1031
)

var codeMessages = map[int]string{
	codeNoClientID:   "X-Plex-Client-Identifier is missing",
	codeUnauthorized: "User could not be authenticated",
	codeBadCode:      "Please enter a valid verification code",
	codeCodeRequired: "Please enter the verification code",
	codeIPBlocked:    "Your IP address has been blocked after too many failed sign-in attempts",
}

// wantsJSON mirrors Plex: JSON only for exactly "Accept: application/json";
// anything else, a list included, gets XML.
func wantsJSON(r *http.Request) bool {
	v := r.Header.Values("Accept")
	return len(v) == 1 && strings.TrimSpace(v[0]) == "application/json"
}

// isPlexTV tells the plex.tv routes from the Plex Media Server ones: plex.tv
// labels its JSON with a charset, the server does not.
func isPlexTV(r *http.Request) bool { return strings.HasPrefix(r.URL.Path, "/api/") }

// answer writes v as JSON or, per the request's Accept, its XML form x.
func answer(w http.ResponseWriter, r *http.Request, status int, v, x any) {
	if wantsJSON(r) {
		b, err := json.Marshal(v)
		if err != nil {
			panic(err) // fixtures are static: a failure is a bug here
		}
		ct := "application/json"
		if isPlexTV(r) {
			ct += "; charset=utf-8"
		}
		write(w, status, ct, b)
		return
	}
	writeXML(w, status, x)
}

func writeXML(w http.ResponseWriter, status int, x any) {
	b, err := xml.Marshal(x)
	if err != nil {
		panic(err)
	}
	write(w, status, "application/xml", append([]byte(xml.Header), b...))
}

func write(w http.ResponseWriter, status int, contentType string, body []byte) {
	h := w.Header()
	h.Set("Content-Type", contentType)
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	w.Write(body)
}

type plexError struct {
	Code    int    `json:"code,omitempty" xml:"code,attr,omitempty"`
	Message string `json:"message" xml:"message,attr"`
	Status  int    `json:"status" xml:"status,attr"`
}

type errorsJSON struct {
	Errors []plexError `json:"errors"`
}

type errorsXML struct {
	XMLName xml.Name    `xml:"errors"`
	Errors  []plexError `xml:"error"`
}

// plexFail writes plex.tv's error envelope. Code 0 (no Plex code known, as
// for a 429) is left out rather than invented.
func plexFail(w http.ResponseWriter, r *http.Request, status, code int) {
	msg, ok := codeMessages[code]
	if !ok {
		msg = http.StatusText(status)
	}
	failWith(w, r, status, code, msg, false)
}

// failWith is plexFail with a message of its own; onlyXML ignores Accept.
func failWith(w http.ResponseWriter, r *http.Request, status, code int, msg string, onlyXML bool) {
	e := []plexError{{Code: code, Message: msg, Status: status}}
	if onlyXML {
		writeXML(w, status, errorsXML{Errors: e})
		return
	}
	answer(w, r, status, errorsJSON{e}, errorsXML{Errors: e})
}

// htmlFail is how current Plex Media Servers refuse: a tiny HTML page.
func htmlFail(w http.ResponseWriter, status int) {
	text := strconv.Itoa(status) + " " + http.StatusText(status)
	body := "<html><head><title>" + http.StatusText(status) + "</title></head><body><h1>" + text + "</h1></body></html>"
	write(w, status, "text/html", []byte(body))
}

func textFail(w http.ResponseWriter, status int) {
	write(w, status, "text/plain; charset=utf-8", []byte(http.StatusText(status)+"\n"))
}
