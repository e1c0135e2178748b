package plex

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/plexauth/plexauth/internal/redact"
)

// call is one operation's request, sent once or more by Client.do.
type call struct {
	op      string
	method  string
	url     *url.URL
	query   string      // replaces url's query when set
	token   string      // X-Plex-Token; empty for sign-in and Warm
	form    string      // form-encoded body (sign-in)
	server  bool        // a Plex Media Server answers: there 403 means a bad token
	signIn  bool        // 201 is success; never retried once plex.tv may have seen it; its message is dropped
	created bool        // 201 is success (a new PIN)
	header  http.Header // replaces the Client's header (a PIN's own identity)
	secrets []string    // never to appear in an error, even if Plex echoes them
}

// reply is a successful answer, body read in full.
type reply struct {
	status int
	format format
	body   []byte
}

// host is where r goes: calls a Plex Media Server answers go to ServerHost.
func (r *call) host() Host {
	if r.server {
		return ServerHost
	}
	return PlexTVHost
}

func (r *call) ok(status int) bool {
	return status == http.StatusOK || ((r.signIn || r.created) && status == http.StatusCreated)
}

// newRequest builds the request by hand from the precomputed URL and headers:
// nothing that is the same on every call is parsed or rebuilt.
func (c *Client) newRequest(ctx context.Context, r *call) *http.Request {
	u := *r.url
	if r.query != "" {
		u.RawQuery = r.query
	}
	h := r.header
	if h == nil {
		h = c.header
	}
	h = h.Clone()
	req := &http.Request{Method: r.method, URL: &u, Host: u.Host, Header: h}
	if r.token != "" {
		h["X-Plex-Token"] = []string{r.token}
	}
	if r.form != "" {
		h["Content-Type"] = []string{"application/x-www-form-urlencoded"}
		req.ContentLength = int64(len(r.form))
		req.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(strings.NewReader(r.form)), nil }
		req.Body, _ = req.GetBody()
	}
	return req.WithContext(ctx)
}

// do sends r, retrying as the policy allows.
func (c *Client) do(ctx context.Context, r *call) (*reply, error) {
	defer recordCall(ctx, time.Now())
	c.awaitWarm(ctx, r.host())
	for attempt := 1; ; attempt++ {
		rep, err := c.once(ctx, r)
		if err == nil {
			return rep, nil
		}
		wait, retry := c.nextWait(ctx, r, attempt, err)
		if !retry {
			return nil, err
		}
		if serr := sleepContext(ctx, wait); serr != nil {
			return nil, &Error{Op: r.op, Kind: ErrTimeout, Err: serr}
		}
	}
}

// exchange sends r and decodes its answer with decode; an answer that
// cannot be decoded (or lacks what the call needs) is ErrMalformedResponse.
func exchange[T any](ctx context.Context, c *Client, r *call, decode func(format, []byte) (T, error)) (T, error) {
	var zero T
	rep, err := c.do(ctx, r)
	if err != nil {
		return zero, err
	}
	v, err := decode(rep.format, rep.body)
	if err != nil {
		return zero, &Error{Op: r.op, Kind: ErrMalformedResponse, Status: rep.status, Err: err}
	}
	return v, nil
}

// once sends r a single time and reads the whole answer.
func (c *Client) once(ctx context.Context, r *call) (*reply, *Error) {
	resp, err := c.hc.Do(c.newRequest(ctx, r))
	if err != nil {
		return nil, transportError(ctx, r.op, err)
	}
	defer closeBody(resp.Body)
	recordStatus(ctx, resp.StatusCode)
	body, readErr := readBody(resp.Body, c.maxBody)
	f := formatOf(resp.Header.Get("Content-Type"), body)
	if !r.ok(resp.StatusCode) {
		return nil, c.statusError(r, resp, f, body)
	}
	if readErr != nil {
		if ctx.Err() != nil {
			return nil, &Error{Op: r.op, Kind: ErrTimeout, Status: resp.StatusCode, Err: ctx.Err()}
		}
		if timedOut(readErr) { // http.Client.Timeout passed while reading the body
			return nil, &Error{Op: r.op, Kind: ErrTimeout, Status: resp.StatusCode, Err: readErr}
		}
		return nil, &Error{Op: r.op, Kind: ErrMalformedResponse, Status: resp.StatusCode, Err: readErr}
	}
	return &reply{status: resp.StatusCode, format: f, body: body}, nil
}

var errTooLarge = errors.New("response body exceeds the size limit")

// readBody reads at most limit bytes: a bigger body is an error, not a prefix.
func readBody(r io.Reader, limit int64) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, fmt.Errorf("reading response body: %w", err)
	}
	if int64(len(b)) > limit {
		return nil, errTooLarge
	}
	return b, nil
}

// closeBody drains a little of what is left so that the connection can go
// back to the pool; a body much larger than that is not worth reading.
func closeBody(rc io.ReadCloser) {
	_, _ = io.CopyN(io.Discard, rc, 4<<10)
	_ = rc.Close()
}

func transportError(ctx context.Context, op string, err error) *Error {
	if ctx.Err() != nil || timedOut(err) {
		return &Error{Op: op, Kind: ErrTimeout, Err: err}
	}
	return &Error{Op: op, Kind: ErrUpstream, Err: err}
}

// timedOut reports whether err is a network timeout, such as the one
// http.Client.Timeout causes.
func timedOut(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// statusError maps a failed answer to its kind, with Plex's code and message
// when the body carries them. body is nil when it could not be read.
func (c *Client) statusError(r *call, resp *http.Response, f format, body []byte) *Error {
	e := &Error{Op: r.op, Status: resp.StatusCode}
	var msg string
	if body != nil {
		e.Code, msg = decodeError(f, body)
	}
	if !r.signIn { // a sign-in's message may repeat the login or password in forms no one foresaw
		e.Message = cleanMessage(msg, r.secrets)
	}
	switch s := resp.StatusCode; {
	case s == http.StatusBadRequest:
		e.Kind = ErrBadRequest
	case s == http.StatusUnauthorized && r.signIn:
		switch e.Code {
		case 1029:
			e.Kind = ErrTwoFactorRequired
		case 1028:
			e.Kind = ErrInvalidVerificationCode
		case 1031:
			e.Kind = ErrIPBlocked
		default:
			e.Kind = ErrUnauthorized
		}
	// Elsewhere the codes above are sign-in's: a 401 rejects the token.
	case s == http.StatusUnauthorized, s == http.StatusForbidden && r.server, s == http.StatusUnprocessableEntity:
		e.Kind = ErrUnauthorized
	case s == http.StatusNotFound:
		e.Kind = ErrNotFound
	case s == http.StatusTooManyRequests:
		e.Kind = ErrRateLimited
		e.RetryAfter = parseRetryAfter(resp.Header.Get("Retry-After"), time.Now())
	default:
		e.Kind = ErrUpstream
	}
	return e
}

const maxMessage = 200 // bytes of Plex's message kept in an Error

// cleanMessage makes Plex's message safe to print: secrets removed in every
// encoding (before anything else, so that no cut leaves half of one), one
// line of valid UTF-8, bounded. Every rune that does not print as itself
// (control characters, Unicode line and paragraph separators, bidi
// overrides) becomes a space.
func cleanMessage(msg string, secrets []string) string {
	if msg == "" {
		return ""
	}
	msg = redact.Text(msg, secrets...)
	msg = strings.Map(func(r rune) rune {
		if !unicode.IsPrint(r) || r == utf8.RuneError {
			return ' '
		}
		return r
	}, msg)
	msg = strings.TrimSpace(msg)
	if len(msg) > maxMessage {
		cut := maxMessage
		for cut > 0 && !utf8.RuneStart(msg[cut]) {
			cut--
		}
		msg = msg[:cut] + "..."
	}
	return msg
}

func invalid(op, msg string) *Error {
	return &Error{Op: op, Kind: ErrInvalidInput, Message: msg}
}

// notConfigured is a call to the server on a Client built without ServerURL:
// the deployment's mistake, not the caller's.
func notConfigured(op string) *Error {
	return &Error{Op: op, Kind: ErrNotConfigured, Message: "no server URL configured"}
}
