package plex_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/plexauth/plexauth/pkg/plex"
	"github.com/plexauth/plexauth/pkg/plex/plextest"
)

// BenchmarkClient and BenchmarkRawHTTP time the same exchanges with the
// simulator on loopback: through the client, and through plain net/http with
// an http.Client set up like the client's default (Transport, Timeout). The
// difference is the client's own cost.
//
// Both sides run the same way: a fresh simulator per sub-benchmark, one
// untimed exchange first so that the connection is open and pooled, and the
// simulator's request log cleared every resetEvery exchanges so that it
// stays small. B/op and allocs/op count the whole process, so they include
// the simulator's share, which is the same on both sides. What the simulator
// cannot forget is the transient tokens it issues (TransientToken and
// Source), one small map entry per exchange on both sides.
//
// On a shared machine the speed of the whole exchange drifts by more than
// the client's share over the seconds between two benchmarks; BenchmarkOverhead
// pairs the two sides exchange by exchange so that drift cancels out.

const (
	benchClientID = "plexauth-bench"
	benchProduct  = "plexauth"
	benchVersion  = "1.0.0"
	resetEvery    = 1024
)

type benchOp struct {
	name   string
	client func(ctx context.Context, c *plex.Client) error
	raw    func(ctx context.Context, hc *http.Client, base string) error
}

var benchOps = []benchOp{
	{
		name: "TransientToken",
		client: func(ctx context.Context, c *plex.Client) error {
			tok, err := c.TransientToken(ctx, plextest.AdminToken)
			if err == nil && tok == "" {
				err = errEmpty
			}
			return err
		},
		raw: func(ctx context.Context, hc *http.Client, base string) error {
			var v struct {
				MediaContainer struct {
					Token string `json:"token"`
				} `json:"MediaContainer"`
			}
			err := rawExchange(ctx, hc, http.MethodPost, base+"/security/token?type=delegation&scope=all",
				plextest.AdminToken, "", http.StatusOK, &v)
			if err == nil && v.MediaContainer.Token == "" {
				err = errEmpty
			}
			return err
		},
	},
	{
		name: "Source",
		client: func(ctx context.Context, c *plex.Client) error {
			d, err := c.Source(ctx, plextest.AdminToken, plex.SourceQuery{Source: plextest.ServerSource})
			if err == nil && d.ClientIdentifier == "" {
				err = errEmpty
			}
			return err
		},
		raw: func(ctx context.Context, hc *http.Client, base string) error {
			var v struct {
				MediaContainer struct {
					Device rawDevice `json:"Device"`
				} `json:"MediaContainer"`
			}
			err := rawExchange(ctx, hc, http.MethodGet, base+"/security/resources?source="+url.QueryEscape(plextest.ServerSource),
				plextest.AdminToken, "", http.StatusOK, &v)
			if err == nil && v.MediaContainer.Device.ClientIdentifier == "" {
				err = errEmpty
			}
			return err
		},
	},
	{
		name: "User",
		client: func(ctx context.Context, c *plex.Client) error {
			u, err := c.User(ctx, plextest.UserToken)
			if err == nil && u.ID == 0 {
				err = errEmpty
			}
			return err
		},
		raw: func(ctx context.Context, hc *http.Client, base string) error {
			var u rawUser
			err := rawExchange(ctx, hc, http.MethodGet, base+"/api/v2/user", plextest.UserToken, "", http.StatusOK, &u)
			if err == nil && u.ID == 0 {
				err = errEmpty
			}
			return err
		},
	},
	{
		// A successful sign-in: the simulator blocks an IP after failed ones only.
		name: "SignIn",
		client: func(ctx context.Context, c *plex.Client) error {
			u, err := c.SignIn(ctx, plex.Credentials{Login: plextest.UserLogin, Password: plextest.UserPassword})
			if err == nil && u.AuthToken == "" {
				err = errEmpty
			}
			return err
		},
		raw: func(ctx context.Context, hc *http.Client, base string) error {
			form := url.Values{
				"login":      {plextest.UserLogin},
				"password":   {plextest.UserPassword},
				"rememberMe": {"false"},
			}
			var u rawUser
			err := rawExchange(ctx, hc, http.MethodPost, base+"/api/v2/users/signin", "", form.Encode(), http.StatusCreated, &u)
			if err == nil && u.AuthToken == "" {
				err = errEmpty
			}
			return err
		},
	},
}

var errEmpty = errors.New("answer lacks the expected value")

// rawDevice and rawUser hold the fields the client returns, in plain types.
type rawDevice struct {
	Name             string            `json:"name"`
	ClientIdentifier string            `json:"clientIdentifier"`
	AccessToken      string            `json:"accessToken"`
	Connection       []plex.Connection `json:"Connection"` // same wire names, plain types
}

type rawUser struct {
	ID               int64  `json:"id"`
	UUID             string `json:"uuid"`
	Username         string `json:"username"`
	Email            string `json:"email"`
	Title            string `json:"title"`
	FriendlyName     string `json:"friendlyName"`
	Thumb            string `json:"thumb"`
	TwoFactorEnabled bool   `json:"twoFactorEnabled"`
	JoinedAt         int64  `json:"joinedAt"`
	AuthToken        string `json:"authToken"`
	Subscription     *struct {
		Active bool   `json:"active"`
		Status string `json:"status"`
		Plan   string `json:"plan"`
	} `json:"subscription"`
}

// rawExchange is the exchange written by hand: the same method, URL, headers
// and body as the client's, the answer read in full and decoded into v.
func rawExchange(ctx context.Context, hc *http.Client, method, u, token, form string, want int, v any) error {
	var body io.Reader
	if form != "" {
		body = strings.NewReader(form)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, body)
	if err != nil {
		return err
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("X-Plex-Client-Identifier", benchClientID)
	req.Header.Set("X-Plex-Product", benchProduct)
	req.Header.Set("X-Plex-Version", benchVersion)
	if token != "" {
		req.Header.Set("X-Plex-Token", token)
	}
	if form != "" {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode != want {
		return fmt.Errorf("status %d, want %d", resp.StatusCode, want)
	}
	return json.Unmarshal(b, v)
}

// rawClient is set up like the client's default HTTP client.
func rawClient() *http.Client {
	return &http.Client{
		Transport: defaultTransport(),
		Timeout:   30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
}

// runBench times fn against a fresh simulator, on a warmed connection.
func runBench(b *testing.B, fn func(ctx context.Context, srvURL string) (run func() error, done func())) {
	srv := plextest.NewServer()
	defer srv.Close()
	run, done := fn(context.Background(), srv.URL)
	defer done()
	if err := run(); err != nil { // opens the connection, untimed
		b.Fatal(err)
	}
	srv.Reset()
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		if err := run(); err != nil {
			b.Fatal(err)
		}
		if n++; n%resetEvery == 0 {
			srv.Reset()
		}
	}
}

// newBenchClient is the client as it ships: its default HTTP client.
func newBenchClient(b *testing.B, srvURL string) *plex.Client {
	c, err := plex.New(plex.Config{
		ServerURL: srvURL, PlexTVURL: srvURL,
		ClientIdentifier: benchClientID, Product: benchProduct, Version: benchVersion,
	})
	if err != nil {
		b.Fatal(err)
	}
	return c
}

func BenchmarkClient(b *testing.B) {
	for _, op := range benchOps {
		b.Run(op.name, func(b *testing.B) {
			runBench(b, func(ctx context.Context, srvURL string) (func() error, func()) {
				c := newBenchClient(b, srvURL)
				return func() error { return op.client(ctx, c) }, func() {}
			})
		})
	}
}

func BenchmarkRawHTTP(b *testing.B) {
	for _, op := range benchOps {
		b.Run(op.name, func(b *testing.B) {
			runBench(b, func(ctx context.Context, srvURL string) (func() error, func()) {
				hc := rawClient()
				return func() error { return op.raw(ctx, hc, srvURL) }, hc.CloseIdleConnections
			})
		})
	}
}

// BenchmarkOverhead runs one client and one baseline exchange per iteration,
// in alternating order, each on its own warmed connection to one simulator,
// and times them apart: client-ns/op and raw-ns/op are measured under the
// same conditions, and overhead-% is the client's extra time. ns/op is the
// pair's.
func BenchmarkOverhead(b *testing.B) {
	for _, op := range benchOps {
		b.Run(op.name, func(b *testing.B) {
			srv := plextest.NewServer()
			defer srv.Close()
			ctx := context.Background()
			c := newBenchClient(b, srv.URL)
			hc := rawClient()
			defer hc.CloseIdleConnections()
			sides := [2]func() error{
				func() error { return op.client(ctx, c) },
				func() error { return op.raw(ctx, hc, srv.URL) },
			}
			for _, run := range sides { // open both connections, untimed
				if err := run(); err != nil {
					b.Fatal(err)
				}
			}
			srv.Reset()
			var spent [2]time.Duration
			n := 0
			for b.Loop() {
				for k := range 2 {
					side := (n + k) % 2 // alternate which goes first
					start := time.Now()
					if err := sides[side](); err != nil {
						b.Fatal(err)
					}
					spent[side] += time.Since(start)
				}
				if n++; n%resetEvery == 0 {
					srv.Reset()
				}
			}
			b.ReportMetric(float64(spent[0])/float64(b.N), "client-ns/op")
			b.ReportMetric(float64(spent[1])/float64(b.N), "raw-ns/op")
			b.ReportMetric(100*float64(spent[0]-spent[1])/float64(spent[1]), "overhead-%")
		})
	}
}
