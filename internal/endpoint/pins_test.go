package endpoint

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/url"
	"os"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/plexauth/plexauth/internal/api"
	"github.com/plexauth/plexauth/internal/api/apitest"
	"github.com/plexauth/plexauth/internal/config"
	"github.com/plexauth/plexauth/pkg/plex"
	"github.com/plexauth/plexauth/pkg/plex/plextest"
)

var pinConfig = config.Config{ClientIdentifier: "plexauth-test", Product: "plexauth"}

// testPinKey is the PIN id key for apitest.AdminToken, derived as
// Request.SecretKey does (TestCreatePin proves the two agree).
var testPinKey = func() []byte {
	m := hmac.New(sha256.New, []byte(apitest.AdminToken))
	m.Write([]byte(pinKeyLabel))
	return m.Sum(nil)
}()

type createdPin struct {
	ID, Code, AuthURL, QR, ExpiresAt string
}

func TestCreatePin(t *testing.T) {
	p := apitest.NewPlex(t)
	post := apitest.Event{Method: "POST", Path: "/pins"}.Authorized()
	me := pinIdentity(pinConfig, apitest.CallerName)

	created := func(forward string) func(*testing.T, apitest.Response) {
		return func(t *testing.T, r apitest.Response) {
			var out createdPin
			r.Decode(t, &out)
			reqs := p.Requests()
			if len(reqs) != 1 || reqs[0].Path != string(plextest.RoutePins) || reqs[0].Query.Get("strong") != "true" {
				t.Fatalf("plex.tv got %v, want one strong PIN request", reqs)
			}
			h := reqs[0].Header
			if h.Get("X-Plex-Client-Identifier") != me.ClientIdentifier || h.Get("X-Plex-Product") != "plexauth (tester)" {
				t.Errorf("PIN created as %q / %q, want the caller's own identity %q", h.Get("X-Plex-Client-Identifier"), h.Get("X-Plex-Product"), me.ClientIdentifier)
			}
			pinID, expires, ok := openPin(testPinKey, apitest.CallerName, out.ID)
			if !ok || pinID <= 0 {
				t.Fatalf("id %q does not open for the caller", out.ID)
			}
			if d := time.Until(expires); d < plextest.PinLifetime-time.Minute || d > plextest.PinLifetime {
				t.Errorf("id expires in %v, want plex.tv's %v", d, plextest.PinLifetime)
			}
			if got, err := time.Parse(time.RFC3339, out.ExpiresAt); err != nil || !got.Equal(expires) {
				t.Errorf("expiresAt %q, want %v (the id's)", out.ExpiresAt, expires)
			}
			if len(out.Code) < 20 || !strings.HasSuffix(out.QR, out.Code) {
				t.Errorf("code %q, qr %q: want a strong code and its QR link", out.Code, out.QR)
			}
			want := p.Client.AuthAppURL(me.ClientIdentifier, out.Code, me.Product, forward)
			if out.AuthURL != want {
				t.Errorf("authUrl = %q, want %q", out.AuthURL, want)
			}
		}
	}
	forward := "https://n8n.example.com/webhook/plex?flow=1&x=%2F"
	body := func(f string) apitest.Event { return post.JSONBody(`{"forwardUrl":"` + f + `"}`) }
	bad := func(name, f string) apitest.Case {
		return apitest.Case{Name: name, Event: body(f), Status: 400, Code: "invalid_request", Check: func(t *testing.T, r apitest.Response) {
			if !strings.Contains(r.Error.Message, "forwardUrl") || p.Count(plextest.RoutePins) != 0 {
				t.Errorf("message %q (want it to name forwardUrl), %d plex.tv calls (want none)", r.Error.Message, p.Count(plextest.RoutePins))
			}
		}}
	}
	cases := []apitest.Case{
		{Name: "no body", Event: post, Status: 201, Log: map[string]any{"route": "/pins", "plexStatus": 201.0}, Check: created("")},
		{Name: "empty object", Event: post.JSONBody(`{}`), Status: 201, Check: created("")},
		{Name: "forward url", Event: body(forward), Status: 201, Check: created(forward)},
		{Name: "forward url as form", Event: post.FormBody("forwardUrl=" + url.QueryEscape(forward)), Status: 201, Check: created(forward)},
		{Name: "loopback http forward url", Event: body("http://127.0.0.1:8080/done"), Status: 201, Check: created("http://127.0.0.1:8080/done")},
		bad("http forward url", "http://example.com/done"),
		bad("relative forward url", "/done"),
		bad("other scheme", "javascript://example.com/%0aalert(1)"),
		bad("credentials in forward url", "https://user:pw@example.com/"),
		bad("no host", "https:///path"),
		bad("forward url too long", "https://example.com/"+strings.Repeat("a", MaxForwardURL)),
		{Name: "forward url not a string", Event: post.JSONBody(`{"forwardUrl":1}`), Status: 400, Code: "invalid_request"},
	}
	cases = append(cases, apitest.AuthCases(apitest.Event{Method: "POST", Path: "/pins"}, "GET")...)
	cases = append(cases, apitest.BodyCases(post)...)
	cases = append(cases, p.FaultCases(post, plextest.RoutePins)...)
	for i := range cases {
		if cases[i].Status == 200 { // AuthCases' successes: here a 201
			cases[i].Status = 201
		}
	}
	apitest.Run(t, p.Handler(build(CreatePin, Deps{Plex: p.Client, Config: pinConfig})), cases)
}

// newPin creates a PIN for the test caller through the handler and returns
// the answer.
func newPin(t *testing.T, p *apitest.Plex) createdPin {
	t.Helper()
	logger, _ := apitest.NewLogger()
	h := CreatePin.Handler(Deps{Shared: api.Shared{Secrets: apitest.NewSecrets(apitest.TwoCallers(apitest.AdminToken)), Logger: logger}, Plex: p.Client, Config: pinConfig})
	r := apitest.Invoke(t, t.Context(), h, apitest.Event{Method: "POST", Path: "/pins"}.Authorized().JSON())
	var out createdPin
	r.Decode(t, &out)
	if r.Status != 201 || out.ID == "" {
		t.Fatalf("POST /pins: %d %s", r.Status, r.Body)
	}
	return out
}

func TestCheckPin(t *testing.T) {
	p := apitest.NewPlex(t)
	two := apitest.NewSecrets(apitest.TwoCallers(apitest.AdminToken))
	get := func(id string) apitest.Event {
		return apitest.Event{Method: "GET", Route: "/pins/{id}", Path: "/pins/" + id}.Authorized()
	}
	pending := newPin(t, p)
	approved := newPin(t, p)
	token, err := p.ApprovePin(approved.Code)
	if err != nil {
		t.Fatal(err)
	}
	gone := newPin(t, p)
	if err := p.ExpirePin(gone.Code); err != nil {
		t.Fatal(err)
	}
	pinID, _, _ := openPin(testPinKey, apitest.CallerName, pending.ID)
	expired := sealPin(testPinKey, apitest.CallerName, pinID, time.Now().Add(-time.Second))
	tampered := []byte(pending.ID)
	tampered[5] ^= 1 // another PIN id under the same MAC
	forged := sealPin([]byte("not the key"), apitest.CallerName, pinID, time.Now().Add(time.Hour))

	status := func(want string) func(*testing.T, apitest.Response) {
		return func(t *testing.T, r apitest.Response) {
			var out struct {
				Status, AuthToken string
				User              map[string]any
			}
			r.Decode(t, &out)
			if out.Status != want {
				t.Errorf("status %q, want %q", out.Status, want)
			}
			reqs := p.Requests()
			if want == "authorized" {
				if out.AuthToken != token || out.User["username"] != plextest.UserLogin || out.User["authToken"] != nil {
					t.Errorf("body %s: want the approval's token and its account", r.Body)
				}
				if len(reqs) != 2 || reqs[1].Header.Get("X-Plex-Token") != token {
					t.Errorf("want the PIN check then the account of the new token, got %d requests", len(reqs))
				}
			} else if out.AuthToken != "" || out.User != nil {
				t.Errorf("pending body %s holds a token or user", r.Body)
			}
			if h := reqs[0].Header.Get("X-Plex-Client-Identifier"); h != pinIdentity(pinConfig, apitest.CallerName).ClientIdentifier {
				t.Errorf("checked under %q, want the caller's identifier", h)
			}
		}
	}
	noPlex := func(t *testing.T, _ apitest.Response) {
		if n := len(p.Requests()); n != 0 {
			t.Errorf("plex.tv got %d requests, want none", n)
		}
	}
	refused := func(name string, ev apitest.Event, st int, code string) apitest.Case {
		return apitest.Case{Name: name, Event: ev, Secrets: two, Status: st, Code: code, Check: noPlex}
	}
	cases := []apitest.Case{
		{Name: "pending", Event: get(pending.ID), Status: 200, Log: map[string]any{"route": "/pins/{id}", "plexStatus": 200.0}, Check: status("pending")},
		{Name: "authorized", Event: get(approved.ID), Status: 200, Hidden: []string{token}, Check: status("authorized")},
		{Name: "expired at plex.tv", Event: get(gone.ID), Status: 410, Code: "pin_expired", Log: map[string]any{"plexStatus": 404.0, "plexCode": 1020.0}},
		refused("expired id", get(expired), 410, "pin_expired"),
		refused("another caller's id", get(pending.ID).AuthorizedAs(apitest.OtherCallerKey), 404, "pin_not_found"),
		refused("forged id", get(forged), 404, "pin_not_found"),
		refused("tampered id", get(string(tampered)), 404, "pin_not_found"),
		refused("not base64", get(strings.Repeat("!", len(pending.ID))), 404, "pin_not_found"),
		refused("too long", get(pending.ID+"AAAA"), 404, "pin_not_found"),
		refused("no id", apitest.Event{Method: "GET", Route: "/pins/{id}", Path: "/pins/"}.Authorized(), 404, "pin_not_found"),
		// The key comes from the admin token: rotating it retires the ids out there.
		{Name: "admin token rotated since", Event: get(pending.ID), Secrets: apitest.NewSecrets(apitest.Value(apitest.RotatedToken)),
			Status: 404, Code: "pin_not_found", Check: noPlex},
	}
	cases = append(cases, apitest.AuthCases(apitest.Event{Method: "GET", Route: "/pins/{id}", Path: "/pins/" + pending.ID}, "POST")...)
	cases = append(cases, p.FaultCases(get(pending.ID), plextest.RoutePin)...)
	apitest.Run(t, p.Handler(build(CheckPin, Deps{Plex: p.Client, Config: pinConfig})), cases)
}

// countingPlex answers CheckPin from memory and counts the calls.
type countingPlex struct {
	Plex
	checks int
}

func (c *countingPlex) CheckPin(context.Context, plex.Identity, int64) (*plex.Pin, error) {
	c.checks++
	return &plex.Pin{ID: 1, Code: "c", ExpiresIn: time.Minute}, nil
}

// One check per PIN per PinPollInterval reaches plex.tv; a faster one is a
// 429 with Retry-After, and other PINs are not held back by it.
func TestCheckPinRate(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		fake := &countingPlex{}
		logger, _ := apitest.NewLogger()
		h := CheckPin.Handler(Deps{Shared: api.Shared{Secrets: apitest.NewSecrets(), Logger: logger}, Plex: fake, Config: pinConfig})
		a := sealPin(testPinKey, apitest.CallerName, 1, time.Now().Add(time.Hour))
		b := sealPin(testPinKey, apitest.CallerName, 2, time.Now().Add(time.Hour))
		poll := func(id string) apitest.Response {
			ev := apitest.Event{Method: "GET", Route: "/pins/{id}", Path: "/pins/" + id}.Authorized()
			return apitest.Invoke(t, context.Background(), h, ev.JSON())
		}
		steps := []struct {
			after      time.Duration
			id         string
			status     int
			retryAfter string
			checks     int
		}{
			{0, a, 200, "", 1},
			{0, a, 429, "2", 1},
			{0, b, 200, "", 2},
			{1500 * time.Millisecond, a, 429, "1", 2},
			{500 * time.Millisecond, a, 200, "", 3},
		}
		for i, st := range steps {
			time.Sleep(st.after)
			r := poll(st.id)
			if r.Status != st.status || r.Headers["Retry-After"] != st.retryAfter || fake.checks != st.checks {
				t.Errorf("step %d: %d Retry-After %q, %d checks; want %d %q, %d", i, r.Status, r.Headers["Retry-After"], fake.checks, st.status, st.retryAfter, st.checks)
			}
			if st.status == 429 && r.Error.Code != "rate_limited" {
				t.Errorf("step %d: code %q, want rate_limited", i, r.Error.Code)
			}
		}
	})
}

// Each caller has its own stable client identifier, derived from the base,
// and never the base itself (the admin token's device).
func TestPinIdentity(t *testing.T) {
	a, a2, b := pinIdentity(pinConfig, "n8n"), pinIdentity(pinConfig, "n8n"), pinIdentity(pinConfig, "github")
	if a != a2 || a.ClientIdentifier == b.ClientIdentifier || a.ClientIdentifier == pinConfig.ClientIdentifier ||
		!strings.HasPrefix(a.ClientIdentifier, pinConfig.ClientIdentifier+"-") {
		t.Errorf("identities %+v %+v %+v: want stable, distinct, derived from the base", a, a2, b)
	}
	if a.Product != "plexauth (n8n)" || a.DeviceName != "n8n" {
		t.Errorf("n8n's device is %+v", a)
	}
	if c := pinIdentity(pinConfig, "bad\nname"); !plex.ValidHeaderValue(c.Product) || !plex.ValidHeaderValue(c.DeviceName) {
		t.Errorf("a caller name with a control character gives %+v", c)
	}
}

// An id binds its caller: it opens for no one else, and every bit counts.
func TestPinIDBinds(t *testing.T) {
	exp := time.Unix(1_900_000_000, 0)
	id := sealPin(testPinKey, "n8n", 42, exp)
	if pinID, e, ok := openPin(testPinKey, "n8n", id); !ok || pinID != 42 || !e.Equal(exp) {
		t.Fatalf("openPin = %d %v %v", pinID, e, ok)
	}
	if _, _, ok := openPin(testPinKey, "n8n2", id); ok {
		t.Error("opened for another caller")
	}
	raw, _ := base64.RawURLEncoding.DecodeString(id)
	for i := range raw {
		for bit := range 8 {
			b := append([]byte(nil), raw...)
			b[i] ^= 1 << bit
			if _, _, ok := openPin(testPinKey, "n8n", base64.RawURLEncoding.EncodeToString(b)); ok {
				t.Fatalf("byte %d bit %d flipped: still opens", i, bit)
			}
		}
	}
}

// events/pin.json polls the first PIN the simulator makes (after `sam local
// invoke PinsFunction`), as the README's local caller "local" with the
// simulator's admin token: its id must open so.
func TestSamplePinEvent(t *testing.T) {
	raw, err := os.ReadFile("../../events/pin.json")
	if err != nil {
		t.Fatal(err)
	}
	var ev struct{ PathParameters map[string]string }
	if err := json.Unmarshal(raw, &ev); err != nil {
		t.Fatal(err)
	}
	m := hmac.New(sha256.New, []byte(plextest.AdminToken))
	m.Write([]byte(pinKeyLabel))
	pinID, expires, ok := openPin(m.Sum(nil), "local", ev.PathParameters["id"])
	if !ok || pinID != plextest.FirstPinID || !expires.After(time.Now().AddDate(10, 0, 0)) {
		t.Errorf("events/pin.json id opens %v: PIN %d until %v; want the simulator's first PIN, far ahead", ok, pinID, expires)
	}
}
