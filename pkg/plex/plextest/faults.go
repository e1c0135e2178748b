package plextest

import (
	"crypto/tls"
	"encoding/base64"
	"encoding/json"
	"maps"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Fault makes a route misbehave. Latency delays the answer (alone, the normal
// answer follows); the other fields replace the answer, and the first one set
// in the order Reset, Truncate, NonJSON, Oversize, Status wins. A Status
// answer carries plex.tv's errors envelope (JSON or XML, per Accept, or XML
// whatever the Accept with XML), with Code, or by default code 1001 for a
// 401 and no code otherwise; with Echo its message repeats the request, as
// a careless upstream's might.
//
// When Reset drops a reused keep-alive connection, Go's http.Transport itself
// retries an idempotent request (GET, HEAD) once on a new connection; that
// retry is a second request here and uses up one of Times.
type Fault struct {
	Latency    time.Duration // sleep before answering (honours request cancellation)
	Status     int           // answer this status (with a Plex-shaped error body)
	RetryAfter string        // Retry-After header value with Status (e.g. "1")
	Code       int           // Plex error code with Status; 0: the default above
	Reset      bool          // hijack and close the connection without an answer
	Truncate   bool          // 200, Content-Length larger than the body sent, then close
	NonJSON    bool          // 200, Content-Type application/json, body not JSON
	Oversize   int64         // 200 JSON whose body is this many bytes
	Echo       bool          // with Status: the message repeats the request (see Echoed)
	XML        bool          // with Status: the body is XML even when JSON was asked for
	Times      int           // apply to the next Times requests only; 0 = until cleared
}

// SetFault arms f on route r, replacing any fault already there.
func (s *Simulator) SetFault(r Route, f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults[r] = f
}

// ClearFaults disarms every fault.
func (s *Simulator) ClearFaults() {
	s.mu.Lock()
	defer s.mu.Unlock()
	clear(s.faults)
}

// takeFault returns the fault armed on r, counting one use of a limited one.
func (s *Simulator) takeFault(r Route) (Fault, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f, ok := s.faults[r]
	switch {
	case !ok || f.Times <= 0:
	case f.Times == 1:
		delete(s.faults, r)
	default:
		left := f
		left.Times--
		s.faults[r] = left
	}
	return f, ok
}

// applyFault reports whether it dealt with the request; false means the
// normal answer should follow (a Latency-only fault).
func (s *Simulator) applyFault(w http.ResponseWriter, r *http.Request, f Fault) bool {
	if f.Latency > 0 {
		t := time.NewTimer(f.Latency)
		defer t.Stop()
		select {
		case <-t.C:
		case <-r.Context().Done():
			return true // the client gave up: nobody to answer
		}
	}
	switch {
	case f.Reset:
		dropConn(w, true)
	case f.Truncate:
		body := []byte(`{"MediaContainer":{"size":0,"tok`)
		h := w.Header()
		h.Set("Content-Type", "application/json")
		h.Set("Content-Length", strconv.Itoa(len(body)+64))
		w.WriteHeader(http.StatusOK)
		w.Write(body)
		_ = http.NewResponseController(w).Flush()
		dropConn(w, false) // a clean close: the client reads the partial body, then EOF
	case f.NonJSON:
		write(w, http.StatusOK, "application/json", []byte("<html><body>Service Unavailable</body></html>\n"))
	case f.Oversize > 0:
		write(w, http.StatusOK, "application/json", padded(f.Oversize))
	case f.Status != 0:
		if f.RetryAfter != "" {
			w.Header().Set("Retry-After", f.RetryAfter)
		}
		code := f.Code
		if code == 0 && f.Status == http.StatusUnauthorized {
			code = codeUnauthorized
		}
		msg := http.StatusText(f.Status)
		if f.Echo {
			msg = Echoed(r)
		}
		failWith(w, r, f.Status, code, msg, f.XML)
	default:
		return false
	}
	return true
}

// dropConn closes the request's connection; with rst, abruptly (a TCP reset,
// no TLS close_notify). Without a hijackable connection (a recorder, HTTP/2)
// it aborts the handler, which drops the answer too.
func dropConn(w http.ResponseWriter, rst bool) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	if !rst {
		conn.Close()
		return
	}
	if tc, ok := conn.(*tls.Conn); ok {
		conn = tc.NetConn() // skip the TLS close_notify: the peer must see a broken stream
	}
	if tc, ok := conn.(*net.TCPConn); ok {
		_ = tc.SetLinger(0)
	}
	conn.Close()
}

// padded is a valid JSON object of exactly n bytes (at least 2).
func padded(n int64) []byte {
	const head, tail = `{"pad":"`, `"}`
	if n < int64(len(head+tail)) {
		return []byte("{}" + strings.Repeat(" ", int(max(n-2, 0))))
	}
	return []byte(head + strings.Repeat("x", int(n)-len(head+tail)) + tail)
}

// Echoed is the message of an Echo fault: the X-Plex-Token header, the
// query, the form and each form value, every one raw, query- and
// path-escaped, with lower-case escapes, JSON-escaped and base64-encoded
// (standard, and URL without padding). Secrets come first: Plex's message
// is cut short by the client.
func Echoed(r *http.Request) string {
	parts := []string{r.Header.Get("X-Plex-Token")}
	for _, k := range slices.Sorted(maps.Keys(r.PostForm)) {
		parts = append(parts, r.PostForm[k]...)
	}
	parts = append(parts, r.URL.RawQuery, r.PostForm.Encode())
	var b strings.Builder
	for _, p := range parts {
		if p == "" {
			continue
		}
		js, _ := json.Marshal(p)
		for _, form := range []string{p, url.QueryEscape(p), url.PathEscape(p), strings.ToLower(url.QueryEscape(p)), string(js),
			base64.StdEncoding.EncodeToString([]byte(p)), base64.RawURLEncoding.EncodeToString([]byte(p))} {
			b.WriteString(form)
			b.WriteString(" | ")
		}
	}
	return b.String()
}
