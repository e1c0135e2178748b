package api

import (
	"context"
	"errors"
	"math"
	"net/http"
	"strings"
	"time"

	"github.com/plexauth/plexauth/internal/config"
	"github.com/plexauth/plexauth/internal/secret"
	"github.com/plexauth/plexauth/pkg/plex"
)

// Error codes of the error envelope.
const (
	CodeInvalidRequest          = "invalid_request"
	CodeSourceNotFound          = "source_not_found"
	CodePinNotFound             = "pin_not_found"
	CodePinExpired              = "pin_expired"
	CodeUnauthorized            = "unauthorized"
	CodeForbidden               = "forbidden"
	CodePlexUnauthorized        = "plex_unauthorized"
	CodeTwoFactorRequired       = "plex_two_factor_required"
	CodeInvalidVerificationCode = "plex_invalid_verification_code"
	CodeIPBlocked               = "plex_ip_blocked"
	CodeMethodNotAllowed        = "method_not_allowed"
	CodePayloadTooLarge         = "payload_too_large"
	CodeUnsupportedMediaType    = "unsupported_media_type"
	CodeRateLimited             = "rate_limited"
	CodePlexError               = "plex_error"
	CodeSecretUnavailable       = "secret_unavailable"
	CodePlexTimeout             = "plex_timeout"
	CodeInternal                = "internal_error"
	CodeMisconfigured           = "misconfigured"
)

// Error is an answer other than 200. Message is written for the caller and
// never holds a Go error string, a URL, or anything the caller sent.
type Error struct {
	Status     int
	Code       string
	Message    string
	PlexCode   int           // Plex's errors[].code, 0 if none
	RetryAfter time.Duration // sent as Retry-After, rounded up to seconds

	header  map[string]string // extra response headers (Allow, WWW-Authenticate)
	cause   error             // what went wrong, for the log line only
	setting string            // the setting to fix, for the log line only
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

// Unwrap exposes the cause so errors.Is still sees a Plex kind.
func (e *Error) Unwrap() error { return e.cause }

// InvalidField is a 400 invalid_request naming the field at fault; problem
// completes the sentence ("is required", "must be true or false").
func InvalidField(name, problem string) error {
	return &Error{Status: http.StatusBadRequest, Code: CodeInvalidRequest, Message: name + " " + problem}
}

// RateLimited is a 429 rate_limited that the function decides itself,
// without calling Plex; message says why, retryAfter when to come back.
func RateLimited(message string, retryAfter time.Duration) error {
	return &Error{Status: http.StatusTooManyRequests, Code: CodeRateLimited, Message: message, RetryAfter: retryAfter}
}

// PinNotFound is a 404 pin_not_found for a PIN id that is not one this
// caller was given (forged, altered, or another caller's): which, it does
// not say.
func PinNotFound() error {
	return &Error{Status: http.StatusNotFound, Code: CodePinNotFound, Message: "no such PIN for this caller"}
}

// PinExpired is a 410 pin_expired: the PIN's life is over; create a new one.
func PinExpired() error {
	return &Error{Status: http.StatusGone, Code: CodePinExpired, Message: "the PIN has expired; create a new one"}
}

func unauthorized() *Error {
	return &Error{
		Status:  http.StatusUnauthorized,
		Code:    CodeUnauthorized,
		Message: "a valid caller key is required: Authorization: Bearer <key>",
		header:  map[string]string{"WWW-Authenticate": `Bearer realm="plexauth"`},
	}
}

// forbidden is for a valid caller key outside its routes. It names neither
// the caller nor the routes the key does allow.
func forbidden() *Error {
	return &Error{Status: http.StatusForbidden, Code: CodeForbidden,
		Message: "this caller key is not allowed on this route"}
}

func methodNotAllowed(allow []string) *Error {
	return &Error{
		Status:  http.StatusMethodNotAllowed,
		Code:    CodeMethodNotAllowed,
		Message: "method not allowed; use " + strings.Join(allow, " or "),
		header:  map[string]string{"Allow": strings.Join(allow, ", ")},
	}
}

func payloadTooLarge() *Error {
	return &Error{Status: http.StatusRequestEntityTooLarge, Code: CodePayloadTooLarge,
		Message: "the body is larger than 16 KiB"}
}

func unsupportedMediaType() *Error {
	return &Error{Status: http.StatusUnsupportedMediaType, Code: CodeUnsupportedMediaType,
		Message: "the body must be application/json or application/x-www-form-urlencoded"}
}

func internalError(cause error) *Error {
	return &Error{Status: http.StatusInternalServerError, Code: CodeInternal,
		Message: "internal error", cause: cause}
}

// plexErrors maps each Plex failure kind to its answer; the first row whose
// kind matches and whose op is empty or the failed operation's wins. A Plex
// 400 is our client's fault, not the caller's, so it is a 502 like any other
// upstream surprise; so is a 404 anywhere but for a source, where it means
// the server does not know it, and for a PIN, which plex.tv has let expire.
var plexErrors = []struct {
	kind    error
	op      string // the plex.Error's Op; "" for any
	status  int
	code    string
	message string
	setting string // logged: what to fix
}{
	{plex.ErrInvalidInput, "", http.StatusBadRequest, CodeInvalidRequest, "the request has an invalid value", ""},
	// The one setting a Client can lack is its server URL (plex.tv has a default).
	{plex.ErrNotConfigured, "", http.StatusInternalServerError, CodeMisconfigured, "the service is misconfigured", config.EnvServerURL},
	{plex.ErrNotFound, plex.OpSource, http.StatusNotFound, CodeSourceNotFound, "the Plex Media Server knows no such source", ""},
	// plex.tv's 404 (code 1020) to a PIN check: expired, or unknown to it.
	{plex.ErrNotFound, plex.OpCheckPin, http.StatusGone, CodePinExpired, "the PIN has expired; create a new one", ""},
	{plex.ErrNotFound, "", http.StatusBadGateway, CodePlexError, "Plex failed to answer", ""},
	{plex.ErrBadRequest, "", http.StatusBadGateway, CodePlexError, "Plex did not accept the request", ""},
	{plex.ErrUnauthorized, "", http.StatusForbidden, CodePlexUnauthorized, "Plex rejected the credential", ""},
	{plex.ErrTwoFactorRequired, "", http.StatusForbidden, CodeTwoFactorRequired, "a two-factor verification code is required; send it as verificationCode", ""},
	{plex.ErrInvalidVerificationCode, "", http.StatusForbidden, CodeInvalidVerificationCode, "the two-factor verification code is wrong", ""},
	{plex.ErrIPBlocked, "", http.StatusForbidden, CodeIPBlocked, "Plex blocked sign-ins from this address after repeated failures", ""},
	{plex.ErrRateLimited, "", http.StatusTooManyRequests, CodeRateLimited, "Plex is rate limiting requests; retry later", ""},
	{plex.ErrUpstream, "", http.StatusBadGateway, CodePlexError, "Plex failed to answer", ""},
	{plex.ErrMalformedResponse, "", http.StatusBadGateway, CodePlexError, "Plex sent an answer that cannot be read", ""},
	{plex.ErrTimeout, "", http.StatusGatewayTimeout, CodePlexTimeout, "Plex did not answer in time", ""},
}

// toError maps any failure to the answer the caller gets.
func toError(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	var pe *plex.Error
	isPlex := errors.As(err, &pe)
	for _, m := range plexErrors {
		if errors.Is(err, m.kind) && (m.op == "" || isPlex && pe.Op == m.op) {
			e := &Error{Status: m.status, Code: m.code, Message: m.message, cause: err, setting: m.setting}
			if isPlex {
				e.PlexCode = pe.Code
				e.RetryAfter = pe.RetryAfter
			}
			return e
		}
	}
	switch {
	case errors.Is(err, secret.ErrUnavailable), errors.Is(err, secret.ErrMalformed):
		return &Error{Status: http.StatusServiceUnavailable, Code: CodeSecretUnavailable,
			Message: "the service's secret cannot be read; retry later", cause: err}
	case errors.Is(err, context.DeadlineExceeded):
		return &Error{Status: http.StatusGatewayTimeout, Code: CodePlexTimeout,
			Message: "the request ran out of time", cause: err}
	}
	return internalError(err)
}

// retryAfterSeconds rounds up so a caller never retries too early.
func retryAfterSeconds(d time.Duration) int64 {
	return int64(math.Ceil(d.Seconds()))
}
