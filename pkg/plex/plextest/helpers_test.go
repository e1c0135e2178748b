package plextest_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/plexauth/plexauth/pkg/plex/plextest"
)

const clientID = "plextest-client"

// call describes one request to the simulator. Zero values mean the usual:
// Accept exactly application/json and a client identifier.
type call struct {
	method, path string
	token        string
	accept       string // "" = application/json; "-" = no Accept header
	form         url.Values
	noClientID   bool
}

func (c call) request(t testing.TB, base string) *http.Request {
	t.Helper()
	var body io.Reader
	if c.form != nil {
		body = strings.NewReader(c.form.Encode())
	}
	req, err := http.NewRequest(c.method, base+c.path, body)
	if err != nil {
		t.Fatal(err)
	}
	switch c.accept {
	case "":
		req.Header.Set("Accept", "application/json")
	case "-":
	default:
		req.Header.Set("Accept", c.accept)
	}
	if !c.noClientID {
		req.Header.Set("X-Plex-Client-Identifier", clientID)
	}
	if c.token != "" {
		req.Header.Set("X-Plex-Token", c.token)
	}
	if c.form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	return req
}

type reply struct {
	status int
	header http.Header
	body   []byte
}

func do(t testing.TB, srv *plextest.Server, c call) reply {
	t.Helper()
	resp, err := srv.Client().Do(c.request(t, srv.URL))
	if err != nil {
		t.Fatalf("%s %s: %v", c.method, c.path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: read body: %v", c.method, c.path, err)
	}
	return reply{resp.StatusCode, resp.Header, b}
}

// field digs a value out of a JSON body by a dotted path ("a.b.0.c").
func field(t testing.TB, body []byte, path string) any {
	t.Helper()
	var v any
	if err := json.Unmarshal(body, &v); err != nil {
		t.Fatalf("body is not JSON: %v", err)
	}
	for _, k := range strings.Split(path, ".") {
		switch node := v.(type) {
		case map[string]any:
			v = node[k]
		case []any:
			i, err := strconv.Atoi(k)
			if err != nil || i < 0 || i >= len(node) {
				t.Fatalf("no %q in body", path)
			}
			v = node[i]
		default:
			t.Fatalf("no %q in body", path)
		}
	}
	return v
}
