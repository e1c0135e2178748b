package main

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/plexauth/plexauth/internal/keepalive"
	"github.com/plexauth/plexauth/pkg/plex/plextest"
)

// banner is what run prints once it listens.
type banner struct {
	url string
	key string     // "": the callers come from the real secret
	sim *simulator // nil: a real Plex
	o   options

	keepAlive keepalive.Result // the keep-alive run made at start
}

// plextestLink is the simulator's approval URL (plextest.RouteLink).
const plextestLink = string(plextest.RouteLink)

// example is one endpoint's ready request.
type example struct {
	method, path, query string
	body                string // JSON
}

func printBanner(w io.Writer, b banner) {
	fmt.Fprintf(w, "plexauth local: %s (every handler behind an API Gateway HTTP API stand-in)\n", b.url)
	if b.sim != nil {
		fmt.Fprintf(w, "  plex:       embedded simulator at %s (fake fixtures, see pkg/plex/plextest)\n", b.sim.url)
	} else {
		server := b.o.serverURL
		if server == "" {
			server = "not set (transient-token and sources need -plex-server-url)"
		}
		fmt.Fprintf(w, "  plex:       server %s, plex.tv %s\n", server, b.o.plexTVURL)
	}
	key := b.key
	if key == "" {
		key = "<caller-key>"
		fmt.Fprintf(w, "  secret:     Secrets Manager %s\n", b.o.secretID)
	} else {
		fmt.Fprintf(w, "  secret:     in memory, caller %q\n", CallerName)
		fmt.Fprintf(w, "  caller key: %s\n", key)
	}
	fmt.Fprintf(w, "  keep-alive: %s\n", keepAliveSummary(b.keepAlive))
	fmt.Fprintln(w, "\nTry:")
	for _, e := range examples(b.sim != nil) {
		fmt.Fprintln(w, "  "+curl(b.url, key, e))
	}
	printPinWalkthrough(w, b, key)
	fmt.Fprintln(w, "\nLogs: one JSON line per request on stderr. Ctrl-C stops.")
}

// examples answer 200 against the simulator; for a real Plex the values
// only the user knows are placeholders.
func examples(simulated bool) []example {
	source, login, password := plextest.ServerSource, plextest.UserLogin, plextest.UserPassword
	if !simulated {
		source, login, password = "server://<server-client-identifier>", "<login>", "<password>"
	}
	return []example{
		{method: http.MethodPost, path: "/transient-token"},
		{method: http.MethodGet, path: "/sources", query: "source=" + source},
		{method: http.MethodGet, path: "/token-details"},
		{method: http.MethodPost, path: "/signin", body: fmt.Sprintf(`{"login":%q,"password":%q}`, login, password)},
		{method: http.MethodPost, path: "/pins"},
		{method: http.MethodGet, path: "/servers", query: "owned=true"},
	}
}

// printPinWalkthrough prints PIN sign-in step by step: the create line is in
// Try above; <code> and <id> come from its answer.
func printPinWalkthrough(w io.Writer, b banner, key string) {
	fmt.Fprintln(w, "\nSign in with Plex (PIN), no password: POST /pins above answers an id, a code and an authUrl.")
	if b.sim != nil {
		fmt.Fprintln(w, "  1. open its authUrl in a browser: the simulator's Auth App page; click Approve. Or, without a browser:")
		fmt.Fprintln(w, "  "+curl(b.sim.url, "", example{method: http.MethodGet, path: plextestLink, query: "code=<code>"}))
	} else {
		fmt.Fprintln(w, "  1. open its authUrl in a browser signed in to Plex, and approve.")
	}
	fmt.Fprintln(w, "  2. poll, at most every 2 s, until it answers \"status\":\"authorized\" with the authToken:")
	fmt.Fprintln(w, "  "+curl(b.url, key, example{method: http.MethodGet, path: "/pins/<id>"}))
}

// keepAliveSummary is one keep-alive run in words: the token, then the server.
func keepAliveSummary(r keepalive.Result) string {
	var token string
	switch {
	case r.TokenValid == nil:
		token = "token not checked (" + r.TokenError + ")"
	case *r.TokenValid:
		token = "token valid"
	default:
		token = "token rejected by plex.tv"
	}
	if r.SecretRefresh != "" {
		token += " (secret refreshed: " + r.SecretRefresh + ")"
	}
	if r.TokenExpiresAt != nil {
		token += ", a JWT expiring " + r.TokenExpiresAt.UTC().Format(time.RFC3339)
		if r.TokenExpiring {
			token += " (soon: sign in again)"
		}
	}
	server := "server unreachable (" + r.ServerError + ")"
	if r.ServerReachable {
		server = fmt.Sprintf("server reachable (machine id %s, version %s)", r.MachineIdentifier, r.ServerVersion)
	}
	return token + ", " + server
}

func curl(base, key string, e example) string {
	u := base + e.path
	if e.query != "" {
		u += "?" + e.query // readable: API Gateway and the handler take "://" unescaped
	}
	parts := []string{"curl", "-sS"}
	if e.method != http.MethodGet {
		parts = append(parts, "-X", e.method)
	}
	parts = append(parts, shellQuote(u))
	if key != "" {
		parts = append(parts, "-H", shellQuote("Authorization: Bearer "+key))
	}
	if e.body != "" {
		parts = append(parts, "-H", shellQuote("Content-Type: application/json"), "-d", shellQuote(e.body))
	}
	return strings.Join(parts, " ")
}

// shellQuote single-quotes s for a POSIX shell.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
