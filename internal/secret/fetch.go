package secret

import (
	"context"
	"errors"
	"fmt"
	"net"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/smithy-go"
)

// fetch makes one GetSecretValue call and parses the answer.
func (s *Store) fetch(ctx context.Context) (v Value, version string, err error) {
	defer func() {
		// A panicking client must not take the function down with it.
		if recover() != nil {
			v, version, err = Value{}, "", fmt.Errorf("%w (client panicked)", ErrUnavailable)
		}
	}()
	out, err := s.api.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(s.id)})
	if err != nil {
		return Value{}, "", unavailable(err)
	}
	version = aws.ToString(out.VersionId)
	switch {
	case out.SecretString != nil:
		v, err = Parse(*out.SecretString, s.routes)
	case out.SecretBinary != nil:
		v, err = Parse(string(out.SecretBinary), s.routes)
	default:
		err = malformed("the secret has no value")
	}
	return v, version, err
}

// unavailable wraps a failed call in ErrUnavailable, naming its kind.
func unavailable(err error) error {
	if _, ok := errors.AsType[*smithy.DeserializationError](err); ok {
		// Its text can quote bytes of the response, which holds the secret.
		err = opaque{err}
	}
	return fmt.Errorf("%w (%s): %w", ErrUnavailable, Kind(err), err)
}

// opaque keeps an error's identity for errors.Is/As but hides its text.
type opaque struct{ err error }

func (opaque) Error() string   { return "the response could not be decoded" }
func (o opaque) Unwrap() error { return o.err }

// Kind names the class of a Store error for logs and metrics: "malformed",
// "timeout", "canceled", "unreachable", "bad response", the Secrets Manager
// error code (e.g. "ResourceNotFoundException", "AccessDeniedException"), or
// "failed".
func Kind(err error) string {
	if err == nil {
		return ""
	}
	if errors.Is(err, ErrMalformed) {
		return "malformed"
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return "timeout"
	}
	if errors.Is(err, context.Canceled) {
		return "canceled"
	}
	if ae, ok := errors.AsType[smithy.APIError](err); ok {
		return ae.ErrorCode()
	}
	if _, ok := errors.AsType[*smithy.DeserializationError](err); ok {
		return "bad response"
	}
	if _, ok := errors.AsType[net.Error](err); ok {
		return "unreachable"
	}
	return "failed"
}
