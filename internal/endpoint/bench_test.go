package endpoint

import (
	"context"
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
	"github.com/plexauth/plexauth/internal/config"
	"github.com/plexauth/plexauth/internal/secret"
	"github.com/plexauth/plexauth/internal/signinguard"
	"github.com/plexauth/plexauth/pkg/plex"
	"github.com/plexauth/plexauth/pkg/plex/plextest"
)

// The handler's overhead is BenchmarkHandler/<name>/<log> minus
// BenchmarkBareClient/<name>: the same Plex call against the same simulator,
// with and without everything the handler adds (event parsing, caller
// authentication, the warm secret lookup, limits, JSON answer, log line).

// benchEndpoint is one endpoint with a prepared event and its bare Plex call.
type benchEndpoint struct {
	name  string
	route Route
	event apitest.Event // without Authorization
	bare  func(ctx context.Context, c *plex.Client) error
}

var benchEndpoints = []benchEndpoint{
	{
		name:  "transient",
		route: Transient,
		event: apitest.Event{Method: "POST", Path: "/transient-token"},
		bare: func(ctx context.Context, c *plex.Client) error {
			_, err := c.TransientToken(ctx, plextest.AdminToken)
			return err
		},
	},
	{
		name:  "sources",
		route: Sources,
		event: apitest.Event{Method: "GET", Path: "/sources", Query: "source=server%3A%2F%2F" + plextest.ServerID},
		bare: func(ctx context.Context, c *plex.Client) error {
			_, err := c.Source(ctx, plextest.AdminToken, plex.SourceQuery{Source: plextest.ServerSource})
			return err
		},
	},
	{
		name:  "details",
		route: Details,
		event: apitest.Event{Method: "GET", Path: "/token-details"},
		bare: func(ctx context.Context, c *plex.Client) error {
			_, err := c.User(ctx, plextest.AdminToken)
			return err
		},
	},
	{
		name:  "signin",
		route: SignIn,
		event: apitest.Event{Method: "POST", Path: "/signin"}.
			JSONBody(`{"login":"` + plextest.UserLogin + `","password":"` + plextest.UserPassword + `"}`),
		bare: func(ctx context.Context, c *plex.Client) error {
			_, err := c.SignIn(ctx, plex.Credentials{Login: plextest.UserLogin, Password: plextest.UserPassword})
			return err
		},
	},
}

// benchDeps are the dependencies of the benchmarked handlers. The guard checks
// every sign-in, but with no caller rate: the loop signs in far faster than
// any caller may.
func benchDeps(c Plex, store api.Secrets, logger *slog.Logger) Deps {
	return Deps{Shared: api.Shared{Secrets: store, Logger: logger}, Plex: c,
		Config: config.Config{SignIn: signinguard.Limits{LoginCooldown: time.Minute, BlockCooldown: time.Hour}}}
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
	discard := slog.New(slog.DiscardHandler)
	s := secret.NewStore(memorySM{apitest.SecretJSON(plextest.AdminToken)}, "bench", secret.Options{TTL: time.Hour, Logger: discard})
	if _, _, err := s.Get(b.Context()); err != nil {
		b.Fatal(err)
	}
	return s
}

// benchLoggers are the two ways the request line is handled. "nolog" drops
// it before it is formatted; "jsonlog" formats it as production does and
// writes it to io.Discard, so its figure is the honest one.
var benchLoggers = []struct {
	name   string
	logger *slog.Logger
}{
	{"nolog", slog.New(slog.DiscardHandler)},
	{"jsonlog", slog.New(slog.NewJSONHandler(io.Discard, nil))},
}

// decoded is the event as the Lambda runtime hands it to Handle.
func (e benchEndpoint) decoded(b *testing.B) events.APIGatewayV2HTTPRequest {
	var ev events.APIGatewayV2HTTPRequest
	if err := json.Unmarshal(e.event.Authorized().JSON(), &ev); err != nil {
		b.Fatal(err)
	}
	return ev
}

// runHandler is the loop of BenchmarkHandler and BenchmarkHandlerOnly;
// reset, if set, runs every resetEvery invocations.
func runHandler(b *testing.B, h *api.Handler, ev events.APIGatewayV2HTTPRequest, reset func()) {
	ctx := benchContext(b)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		resp, _ := h.Handle(ctx, ev)
		if resp.StatusCode != 200 {
			b.Fatalf("status %d: %s", resp.StatusCode, resp.Body)
		}
		if reset != nil && i%resetEvery == 0 {
			reset()
		}
	}
}

// BenchmarkHandler invokes each endpoint's Handle with a decoded event, as
// the Lambda runtime does after unmarshalling, against the simulator. Each
// run gets a fresh simulator so that no run inherits another's state (the
// simulator remembers every transient token it issued).
func BenchmarkHandler(b *testing.B) {
	store := warmStore(b)
	for _, e := range benchEndpoints {
		ev := e.decoded(b)
		for _, l := range benchLoggers {
			b.Run(e.name+"/"+l.name, func(b *testing.B) {
				p := apitest.NewPlex(b)
				h := e.route.Handler(benchDeps(p.Client, store, l.logger))
				runHandler(b, h, ev, p.Reset)
			})
		}
	}
}

// BenchmarkBareClient makes each endpoint's Plex call directly with the
// same client and a fresh simulator: the floor BenchmarkHandler is compared
// with.
func BenchmarkBareClient(b *testing.B) {
	for _, e := range benchEndpoints {
		b.Run(e.name, func(b *testing.B) {
			p := apitest.NewPlex(b)
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

// BenchmarkHandlerOnly is BenchmarkHandler with Plex answered from memory:
// the answers the simulator gave once, replayed. Over loopback HTTP the
// handler's cost is a few percent of a round trip whose own noise is larger,
// so the difference of the two benchmarks above is blurred; this measures
// the handler's own cost directly.
func BenchmarkHandlerOnly(b *testing.B) {
	r := record(b)
	store := warmStore(b)
	for _, e := range benchEndpoints {
		ev := e.decoded(b)
		for _, l := range benchLoggers {
			b.Run(e.name+"/"+l.name, func(b *testing.B) {
				h := e.route.Handler(benchDeps(r, store, l.logger))
				runHandler(b, h, ev, nil)
			})
		}
	}
}

// replay answers the four benchmarked Plex calls with recorded values (the
// PIN calls, not benchmarked, are left to the nil Plex).
type replay struct {
	Plex
	token  string
	device *plex.Device
	user   *plex.User
	signIn *plex.User
}

func (r *replay) TransientToken(context.Context, string) (string, error) { return r.token, nil }
func (r *replay) Source(context.Context, string, plex.SourceQuery) (*plex.Device, error) {
	return r.device, nil
}
func (r *replay) User(context.Context, string) (*plex.User, error)             { return r.user, nil }
func (r *replay) SignIn(context.Context, plex.Credentials) (*plex.User, error) { return r.signIn, nil }
func (r *replay) Resources(context.Context, string) ([]plex.Resource, error)   { return nil, nil }

// record asks the simulator once per call, so the replayed answers have
// realistic sizes (they are encoded into every response).
func record(b *testing.B) *replay {
	p := apitest.NewPlex(b)
	ctx := b.Context()
	r := &replay{}
	var err error
	if r.token, err = p.Client.TransientToken(ctx, plextest.AdminToken); err != nil {
		b.Fatal(err)
	}
	if r.device, err = p.Client.Source(ctx, plextest.AdminToken, plex.SourceQuery{Source: plextest.ServerSource}); err != nil {
		b.Fatal(err)
	}
	if r.user, err = p.Client.User(ctx, plextest.AdminToken); err != nil {
		b.Fatal(err)
	}
	if r.signIn, err = p.Client.SignIn(ctx, plex.Credentials{Login: plextest.UserLogin, Password: plextest.UserPassword}); err != nil {
		b.Fatal(err)
	}
	return r
}
