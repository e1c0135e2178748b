package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/plexauth/plexauth/internal/api/apitest"
)

// TestMain clears the settings run reads from the environment, so a
// developer's shell cannot point the tests at a real Plex or secret.
func TestMain(m *testing.M) {
	for _, name := range []string{"PLEX_SERVER_URL", "PLEX_TV_URL", "PLEX_SECRET_ARN", "PLEX_CLIENT_IDENTIFIER", "PLEX_ALLOW_HTTP", EnvAdminToken, "LOG_LEVEL"} {
		os.Unsetenv(name)
	}
	os.Exit(m.Run())
}

// started is a run in progress and what it printed.
type started struct {
	base   string   // http://127.0.0.1:port
	key    string   // caller key, "" if none printed
	curls  []string // the printed curl lines
	steps  []string // the printed curl lines with <code> or <id> to fill in (the PIN walk-through)
	ka     string   // the keep-alive's outcome, as printed
	logs   *apitest.LogBuffer
	cancel context.CancelFunc
	done   chan struct{}
	err    error // run's result, once done is closed
}

// wait returns run's result once it has returned.
func (s *started) wait() error {
	<-s.done
	return s.err
}

// startRun runs run on a free port and waits for its start-up text.
func startRun(t *testing.T, args ...string) *started {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	pr, pw := io.Pipe()
	s := &started{logs: &apitest.LogBuffer{}, cancel: cancel, done: make(chan struct{})}
	go func() {
		s.err = run(ctx, append([]string{"-addr", "127.0.0.1:0"}, args...), pw, s.logs)
		pw.CloseWithError(fmt.Errorf("run returned %v", s.err))
		close(s.done)
	}()
	t.Cleanup(func() {
		cancel()
		s.wait()
	})
	if err := s.readBanner(pr); err != nil {
		t.Fatalf("start-up text: %v; logs %s", err, s.logs)
	}
	go io.Copy(io.Discard, pr)
	return s
}

func (s *started) readBanner(r io.Reader) error {
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		switch {
		case strings.HasPrefix(line, "plexauth local: "):
			s.base, _, _ = strings.Cut(strings.TrimPrefix(line, "plexauth local: "), " ")
		case strings.HasPrefix(line, "caller key: "):
			s.key = strings.TrimPrefix(line, "caller key: ")
		case strings.HasPrefix(line, "curl ") && (strings.Contains(line, "<code>") || strings.Contains(line, "<id>")):
			s.steps = append(s.steps, line)
		case strings.HasPrefix(line, "keep-alive: "):
			s.ka = strings.TrimPrefix(line, "keep-alive: ")
		case strings.HasPrefix(line, "curl "):
			s.curls = append(s.curls, line)
		case strings.HasSuffix(line, "Ctrl-C stops."):
			return nil
		}
	}
	return sc.Err()
}

// curlRequest turns a printed curl line into the request it makes, so the
// tests prove the lines work as printed.
func curlRequest(line string) (*http.Request, error) {
	words, err := shellWords(line)
	if err != nil {
		return nil, err
	}
	if len(words) == 0 || words[0] != "curl" {
		return nil, fmt.Errorf("not a curl line: %q", line)
	}
	method, target, body := "", "", ""
	header := http.Header{}
	for i := 1; i < len(words); i++ {
		w := words[i]
		switch {
		case w == "-sS":
		case (w == "-X" || w == "-H" || w == "-d") && i+1 < len(words):
			i++
			switch w {
			case "-X":
				method = words[i]
			case "-H":
				k, v, ok := strings.Cut(words[i], ":")
				if !ok {
					return nil, fmt.Errorf("header %q", words[i])
				}
				header.Add(strings.TrimSpace(k), strings.TrimSpace(v))
			case "-d":
				body = words[i]
			}
		case strings.HasPrefix(w, "-"):
			return nil, fmt.Errorf("unknown curl option %q", w)
		default:
			target = w
		}
	}
	if method == "" {
		method = http.MethodGet
		if body != "" {
			method = http.MethodPost // curl -d without -X
		}
	}
	r, err := http.NewRequest(method, target, strings.NewReader(body))
	if err != nil {
		return nil, err
	}
	r.Header = header
	return r, nil
}

// shellWords splits a POSIX shell line with single quotes, double quotes
// and backslashes (no expansions: the printed lines have none).
func shellWords(line string) ([]string, error) {
	var words []string
	var cur strings.Builder
	inWord := false
	for i := 0; i < len(line); i++ {
		c := line[i]
		switch {
		case c == '\'':
			j := strings.IndexByte(line[i+1:], '\'')
			if j < 0 {
				return nil, fmt.Errorf("unclosed quote in %q", line)
			}
			cur.WriteString(line[i+1 : i+1+j])
			i, inWord = i+1+j, true
		case c == '"':
			j := strings.IndexByte(line[i+1:], '"')
			if j < 0 {
				return nil, fmt.Errorf("unclosed quote in %q", line)
			}
			cur.WriteString(line[i+1 : i+1+j])
			i, inWord = i+1+j, true
		case c == '\\' && i+1 < len(line):
			i++
			cur.WriteByte(line[i])
			inWord = true
		case c == ' ' || c == '\t':
			if inWord {
				words, inWord = append(words, cur.String()), false
				cur.Reset()
			}
		default:
			cur.WriteByte(c)
			inWord = true
		}
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words, nil
}

// do sends r and returns the status and the decoded JSON body.
func do(t *testing.T, r *http.Request) (int, http.Header, map[string]any) {
	t.Helper()
	resp, err := http.DefaultClient.Do(r)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatalf("%s %s: body is not JSON: %v", r.Method, r.URL.Path, err)
	}
	return resp.StatusCode, resp.Header, body
}
