// Package motoserver runs moto_server, a local AWS stand-in, for the one test
// that proves the real AWS SDK and the secret store against a real Secrets
// Manager protocol implementation (internal/secret's TestMoto); everything
// else uses the in-process stand-in, internal/secret/secrettest.
//
// moto_server may be missing on a fresh machine: the test is then skipped
// with a message saying so, unless the environment variable CI is set, and
// then it fails. With -short the test is skipped too: moto takes seconds to
// start.
package motoserver

import (
	"bytes"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"testing"
	"time"
)

// startTimeout bounds the wait for a starting moto_server to answer; it
// usually takes one to two seconds.
const startTimeout = 60 * time.Second

// Server is a running moto_server, stopped when the test that started it ends.
type Server struct {
	URL string // http://127.0.0.1:<port>

	cmd    *exec.Cmd
	out    *syncBuffer
	exited chan struct{}
	once   sync.Once
}

// StartServer starts moto_server on a free loopback port.
func StartServer(t testing.TB) *Server {
	t.Helper()
	bin, err := exec.LookPath("moto_server")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("moto_server is not on PATH and CI is set: install it with pip install 'moto[server]'")
		}
		t.Skip("moto_server is not on PATH (pip install 'moto[server]'); skipping the tests against moto")
	}
	// After the lookup: a missing moto_server is reported alike with -short.
	if testing.Short() {
		t.Skip("starts moto_server (seconds); skipped with -short")
	}
	// The free port can be taken between probing and binding: try again then.
	for attempt := 1; ; attempt++ {
		s, err := launch(bin, freePort(t))
		if err == nil {
			t.Cleanup(s.Stop)
			return s
		}
		if attempt == 3 {
			t.Fatalf("moto_server did not start: %v", err)
		}
	}
}

// Stop stops the server (its whole process group) and waits for it to exit.
// Calling it again does nothing.
func (s *Server) Stop() {
	s.once.Do(func() {
		terminate(s.cmd)
		select {
		case <-s.exited:
		case <-time.After(5 * time.Second):
			kill(s.cmd)
			<-s.exited
		}
	})
}

func launch(bin string, port int) (*Server, error) {
	s := &Server{
		URL:    "http://127.0.0.1:" + strconv.Itoa(port),
		out:    &syncBuffer{},
		exited: make(chan struct{}),
	}
	s.cmd = exec.Command(bin, "-H", "127.0.0.1", "-p", strconv.Itoa(port))
	s.cmd.Stdout, s.cmd.Stderr = s.out, s.out
	ownGroup(s.cmd) // so Stop also reaches any child the launcher script started
	if err := s.cmd.Start(); err != nil {
		return nil, err
	}
	go func() {
		s.cmd.Wait()
		close(s.exited)
	}()

	client := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(startTimeout)
	for tick := time.NewTicker(50 * time.Millisecond); ; <-tick.C {
		select {
		case <-s.exited:
			tick.Stop()
			return nil, fmt.Errorf("exited early: %s", s.out.tail(2000))
		default:
		}
		if answers(client, s.URL) {
			tick.Stop()
			return s, nil
		}
		if time.Now().After(deadline) {
			tick.Stop()
			s.Stop()
			return nil, fmt.Errorf("no answer within %v: %s", startTimeout, s.out.tail(2000))
		}
	}
}

func answers(c *http.Client, url string) bool {
	resp, err := c.Get(url + "/moto-api/")
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

func freePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("free port: %v", err)
	}
	defer l.Close()
	addr, ok := l.Addr().(*net.TCPAddr)
	if !ok {
		t.Fatal("free port: not a TCP address")
	}
	return addr.Port
}

// syncBuffer collects the server's output; exec writes to it from its own
// goroutines while a failing start reads it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) tail(n int) string {
	b.mu.Lock()
	defer b.mu.Unlock()
	s := b.b.String()
	if len(s) > n {
		s = s[len(s)-n:]
	}
	return s
}
