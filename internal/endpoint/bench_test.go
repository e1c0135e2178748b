package endpoint

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/plexauth/plexauth/internal/api"
	"github.com/plexauth/plexauth/internal/api/apitest"
	"github.com/plexauth/plexauth/internal/secret"
	"github.com/plexauth/plexauth/pkg/plex"
	"github.com/plexauth/plexauth/pkg/plex/plextest"
)

// The handler's overhead is BenchmarkHandler/<name>/<log> minus
// BenchmarkBareClient/<name>: the same Plex call against the same simulator,
// with and without everything the handler adds (event parsing, caller
// authentication, the warm secret lookup, limits, JSON answer, log line).

// benchEndpoint is one endpoint with a prepared event and its bare Plex call.
type benchEndpoint struct {
	name    string
	handler func(*plex.Client) *api.Handler
	event   apitest.Event // without Authorization
	bare    func(ctx context.Context, c *plex.Client) error
}

var benchEndpoints = []benchEndpoint{
	{
		name:    "transient",
		handler: func(c *plex.Client) *api.Handler { return Transient(c) },
		event:   apitest.Event{Method: "POST", Path: "/transient-token"},
		bare: func(ctx context.Context, c *plex.Client) error {
			_, err := c.TransientToken(ctx, plextest.AdminToken)
			return err
		},
	},
	{
		name:    "sources",
		handler: func(c *plex.Client) *api.Handler { return Sources(c) },
		event:   apitest.Event{Method: "GET", Path: "/sources", Query: "source=server%3A%2F%2F" + plextest.ServerID},
		bare: func(ctx context.Context, c *plex.Client) error {
			_, err := c.Source(ctx, plextest.AdminToken, plex.SourceQuery{Source: plextest.ServerSource})
			return err
		},
	},
	{
		name:    "details",
		handler: func(c *plex.Client) *api.Handler { return Details(c) },
		event:   apitest.Event{Method: "GET", Path: "/token-details"},
		bare: func(ctx context.Context, c *plex.Client) error {
			_, err := c.User(ctx, plextest.AdminToken)
			return err
		},
	},
	{
		name:    "signin",
		handler: func(c *plex.Client) *api.Handler { return SignIn(c) },
		event: apitest.Event{Method: "POST", Path: "/signin"}.
			JSONBody(`{"login":"` + plextest.UserLogin + `","password":"` + plextest.UserPassword + `"}`),
		bare: func(ctx context.Context, c *plex.Client) error {
			_, err := c.SignIn(ctx, plex.Credentials{Login: plextest.UserLogin, Password: plextest.UserPassword})
			return err
		},
	},
}

// resetEvery bounds the simulator's request log, which grows with every
// call; both benchmarks pay the same for it.
const resetEvery = 4096

// benchContext is an invocation's context as the runtime builds it: a
// deadline (the handler derives its own from it) and the Lambda request id.
func benchContext(b *testing.B) context.Context {
	ctx, cancel := context.WithTimeout(b.Context(), time.Hour)
	b.Cleanup(cancel)
	return apitest.LambdaContext(ctx, "bench-request-0001")
}

// memorySM answers GetSecretValue from memory, so that the real secret.Store
// serves its warm path (an atomic load) as it does on a warm invocation.
type memorySM struct{ value string }

func (m memorySM) GetSecretValue(context.Context, *secretsmanager.GetSecretValueInput, ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error) {
	return &secretsmanager.GetSecretValueOutput{SecretString: aws.String(m.value), VersionId: aws.String("v1")}, nil
}

func warmStore(b *testing.B) *secret.Store {
	sum := sha256.Sum256([]byte(apitest.CallerKey))
	raw, err := json.Marshal(map[string]any{
		"plexToken": plextest.AdminToken,
		"callers":   map[string]string{apitest.CallerName: "sha256:" + hex.EncodeToString(sum[:])},
	})
	if err != nil {
		b.Fatal(err)
	}
	discard := slog.New(slog.DiscardHandler)
	s := secret.NewStore(memorySM{string(raw)}, "bench", secret.Options{TTL: time.Hour, Logger: discard})
	if _, _, err := s.Get(b.Context()); err != nil {
		b.Fatal(err)
	}
	return s
}

// BenchmarkHandler invokes each endpoint's Handle with a decoded event, as
// the Lambda runtime does after unmarshalling. "nolog" drops the request
// line before it is formatted; "jsonlog" formats it as production does and
// writes it to io.Discard, so its figure is the honest one.
func BenchmarkHandler(b *testing.B) {
	p := apitest.NewPlex(b)
	store := warmStore(b)
	loggers := []struct {
		name   string
		logger *slog.Logger
	}{
		{"nolog", slog.New(slog.DiscardHandler)},
		{"jsonlog", slog.New(slog.NewJSONHandler(io.Discard, nil))},
	}
	for _, e := range benchEndpoints {
		var ev events.APIGatewayV2HTTPRequest
		if err := json.Unmarshal(e.event.Authorized().JSON(), &ev); err != nil {
			b.Fatal(err)
		}
		for _, l := range loggers {
			b.Run(e.name+"/"+l.name, func(b *testing.B) {
				h := e.handler(p.Client)
				h.Secrets, h.Logger = store, l.logger
				ctx := benchContext(b)
				b.ReportAllocs()
				for i := 0; b.Loop(); i++ {
					resp, _ := h.Handle(ctx, ev)
					if resp.StatusCode != 200 {
						b.Fatalf("status %d: %s", resp.StatusCode, resp.Body)
					}
					if i%resetEvery == 0 {
						p.Reset()
					}
				}
			})
		}
	}
}

// BenchmarkBareClient makes each endpoint's Plex call directly with the
// same client and simulator: the floor BenchmarkHandler is compared with.
func BenchmarkBareClient(b *testing.B) {
	p := apitest.NewPlex(b)
	for _, e := range benchEndpoints {
		b.Run(e.name, func(b *testing.B) {
			ctx := benchContext(b)
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				if err := e.bare(ctx, p.Client); err != nil {
					b.Fatal(err)
				}
				if i%resetEvery == 0 {
					p.Reset()
				}
			}
		})
	}
}
