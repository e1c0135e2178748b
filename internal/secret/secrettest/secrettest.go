// Package secrettest is a Secrets Manager stand-in for tests: a handler that
// answers GetSecretValue in the service's JSON protocol, so the real AWS SDK
// client can be tested without AWS or moto. Client reaches it in process;
// NewServer also serves it on 127.0.0.1, for what finds Secrets Manager
// through the environment.
package secrettest

import (
	"context"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
)

const (
	Region    = "us-east-1" // the region of the clients and ARNs made here
	accountID = "123456789012"
)

// Fault makes the server answer GetSecretValue with an error.
type Fault struct {
	Type   string // the error code ("__type"), e.g. "AccessDeniedException"; default "InternalServiceError"
	Status int    // default 400, or 500 for InternalServiceError
	Times  int    // the next Times requests only; 0 = until cleared
	Raw    string // if set: answer 200 with this body as is, a response the SDK cannot decode
	// Refused: a Client's request fails as a refused connection would, never
	// reaching the server (Calls does not count it).
	Refused bool
}

// Server is the stand-in. Its zero value is not usable: call NewServer or
// NewInProcess.
type Server struct {
	URL string // endpoint for the SDK's BaseEndpoint or AWS_ENDPOINT_URL_SECRETS_MANAGER; empty for NewInProcess

	ts       *httptest.Server
	mu       sync.Mutex
	secrets  map[string]*secret // by name and by ARN
	fault    *Fault
	gate     chan struct{}
	arrivals chan struct{}
	calls    int
}

type secret struct {
	name, arn string
	str       *string
	bin       []byte
	version   int
}

// NewServer starts a server on 127.0.0.1, closed when the test ends.
func NewServer(t testing.TB) *Server {
	t.Helper()
	return start(t, false)
}

// NewTLSServer starts an HTTPS server on 127.0.0.1, as Secrets Manager is
// reached in production, closed when the test ends. Certificate is what a
// client must trust (a child process: write it as PEM to SSL_CERT_FILE).
func NewTLSServer(t testing.TB) *Server {
	t.Helper()
	return start(t, true)
}

// NewInProcess returns a stand-in without a socket, reached only through
// Client: inside a testing/synctest bubble a call waiting on it (Hold) is
// durably blocked, and time is the bubble's.
func NewInProcess(t testing.TB) *Server {
	t.Helper()
	s := &Server{secrets: map[string]*secret{}}
	t.Cleanup(s.Close)
	return s
}

func start(t testing.TB, useTLS bool) *Server {
	s := &Server{secrets: map[string]*secret{}}
	s.ts = httptest.NewUnstartedServer(http.HandlerFunc(s.serve))
	if useTLS {
		s.ts.StartTLS()
	} else {
		s.ts.Start()
	}
	s.URL = s.ts.URL
	t.Cleanup(s.Close)
	return s
}

// Certificate is the TLS server's certificate, nil for a plain HTTP one.
func (s *Server) Certificate() *x509.Certificate { return s.ts.Certificate() }

// HTTPClient returns an HTTP client that trusts the server's certificate.
func (s *Server) HTTPClient() *http.Client { return s.ts.Client() }

// Close releases any held request and stops the server.
func (s *Server) Close() {
	s.release()
	if s.ts != nil {
		s.ts.Close()
	}
}

// Put creates the secret or gives it a new AWSCURRENT version holding value.
func (s *Server) Put(name, value string) (arn string) { return s.put(name, &value, nil) }

// PutBinary is Put with a SecretBinary value.
func (s *Server) PutBinary(name string, value []byte) (arn string) { return s.put(name, nil, value) }

func (s *Server) put(name string, str *string, bin []byte) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	sec := s.secrets[name]
	if sec == nil {
		sum := sha256.Sum256([]byte(name))
		sec = &secret{name: name, arn: fmt.Sprintf("arn:aws:secretsmanager:%s:%s:secret:%s-%s", Region, accountID, name, hex.EncodeToString(sum[:3]))}
		s.secrets[name], s.secrets[sec.arn] = sec, sec
	}
	sec.str, sec.bin = str, bin
	sec.version++
	return sec.arn
}

// Delete removes the secret: GetSecretValue answers ResourceNotFoundException.
func (s *Server) Delete(name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if sec := s.secrets[name]; sec != nil {
		delete(s.secrets, sec.name)
		delete(s.secrets, sec.arn)
	}
}

// SetFault makes GetSecretValue fail as f says.
func (s *Server) SetFault(f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fault = &f
}

// ClearFault ends SetFault.
func (s *Server) ClearFault() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fault = nil
}

// Hold makes requests wait, each sending on arrivals once it waits, until
// release is called (also called by Close). It lets a test line up
// concurrent callers behind one request.
func (s *Server) Hold() (arrivals <-chan struct{}, release func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.gate, s.arrivals = make(chan struct{}), make(chan struct{}, 1024)
	return s.arrivals, s.release
}

func (s *Server) release() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.gate != nil {
		close(s.gate)
		s.gate = nil
	}
}

// Calls returns how many requests the server received (an SDK retry counts).
func (s *Server) Calls() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls
}

// Client returns a real SDK client whose requests the stand-in answers in
// process: the SDK's whole request and response path, without a socket.
func (s *Server) Client(t testing.TB, opts ...func(*config.LoadOptions) error) *secretsmanager.Client {
	t.Helper()
	return newClient(t, "http://secretsmanager.in-process", &http.Client{Transport: inProcess{s}}, opts)
}

// inProcess is a RoundTripper that hands each request to the server's handler.
type inProcess struct{ s *Server }

func (p inProcess) RoundTrip(r *http.Request) (*http.Response, error) {
	if p.s.refuse() {
		if r.Body != nil {
			r.Body.Close()
		}
		return nil, &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}
	}
	in := r.Clone(r.Context())
	in.RequestURI = r.URL.RequestURI()
	rec := httptest.NewRecorder()
	p.s.serve(rec, in)
	if r.Body != nil {
		r.Body.Close()
	}
	if err := r.Context().Err(); err != nil { // the caller gave up, as a real transport reports it
		return nil, err
	}
	resp := rec.Result()
	resp.Request = r
	return resp, nil
}

// NewClient returns a real SDK client for endpoint with static dummy
// credentials, region us-east-1 and no shared config files.
func NewClient(t testing.TB, endpoint string, opts ...func(*config.LoadOptions) error) *secretsmanager.Client {
	t.Helper()
	return newClient(t, endpoint, nil, opts)
}

// newClient is NewClient with hc, when set, as the SDK's HTTP client.
func newClient(t testing.TB, endpoint string, hc *http.Client, opts []func(*config.LoadOptions) error) *secretsmanager.Client {
	t.Helper()
	base := []func(*config.LoadOptions) error{
		config.WithRegion(Region),
		config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider("test", "test", "")),
		config.WithSharedConfigFiles([]string{}),
		config.WithSharedCredentialsFiles([]string{}),
	}
	cfg, err := config.LoadDefaultConfig(context.Background(), append(base, opts...)...)
	if err != nil {
		t.Fatalf("aws config: %v", err)
	}
	return secretsmanager.NewFromConfig(cfg, func(o *secretsmanager.Options) {
		o.BaseEndpoint = aws.String(endpoint)
		if hc != nil {
			o.HTTPClient = hc
		}
	})
}

// Env is the environment that points config.LoadDefaultConfig at endpoint
// with dummy credentials and nothing from the machine (no shared config, no
// instance metadata): for t.Setenv or a child process.
func Env(endpoint string) []string {
	return []string{
		"AWS_ENDPOINT_URL_SECRETS_MANAGER=" + endpoint,
		"AWS_REGION=" + Region,
		"AWS_ACCESS_KEY_ID=test",
		"AWS_SECRET_ACCESS_KEY=test",
		"AWS_SESSION_TOKEN=",
		"AWS_PROFILE=",
		"AWS_EC2_METADATA_DISABLED=true",
		"AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=",
		"AWS_CONFIG_FILE=" + os.DevNull,
		"AWS_SHARED_CREDENTIALS_FILE=" + os.DevNull,
	}
}

// SetEnv sets Env(endpoint) for the rest of the test.
func SetEnv(t testing.TB, endpoint string) {
	t.Helper()
	for _, kv := range Env(endpoint) {
		k, v, _ := strings.Cut(kv, "=")
		t.Setenv(k, v)
	}
}

// ClosedEndpoint returns the URL of a loopback port nothing listens on.
func ClosedEndpoint(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	addr := l.Addr().String()
	l.Close()
	return "http://" + addr
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.calls++
	gate, arrivals := s.gate, s.arrivals
	s.mu.Unlock()
	if gate != nil {
		arrivals <- struct{}{}
		select {
		case <-gate:
		case <-r.Context().Done():
			return
		}
	}

	if r.Method != http.MethodPost || r.URL.Path != "/" {
		writeError(w, http.StatusNotFound, "UnknownOperationException", "unknown operation")
		return
	}
	if ct := r.Header.Get("Content-Type"); ct != "application/x-amz-json-1.1" {
		writeError(w, http.StatusBadRequest, "SerializationException", "unexpected content type")
		return
	}
	if op := r.Header.Get("X-Amz-Target"); op != "secretsmanager.GetSecretValue" {
		writeError(w, http.StatusBadRequest, "UnknownOperationException", "unsupported operation")
		return
	}
	var in struct{ SecretId string }
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<16)).Decode(&in); err != nil || in.SecretId == "" {
		writeError(w, http.StatusBadRequest, "ValidationException", "SecretId is required")
		return
	}

	s.mu.Lock()
	f := s.takeFaultLocked()
	sec := s.secrets[in.SecretId]
	var out map[string]any
	if sec != nil {
		out = map[string]any{
			"ARN":           sec.arn,
			"Name":          sec.name,
			"VersionId":     fmt.Sprintf("00000000-0000-4000-8000-%012d", sec.version),
			"VersionStages": []string{"AWSCURRENT"},
			"CreatedDate":   float64(time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC).Unix()),
		}
		if sec.str != nil {
			out["SecretString"] = *sec.str
		} else {
			out["SecretBinary"] = sec.bin // []byte encodes as base64, as the protocol wants
		}
	}
	s.mu.Unlock()

	switch {
	case f != nil && f.Raw != "":
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		io.WriteString(w, f.Raw)
	case f != nil:
		writeError(w, f.Status, f.Type, "injected failure")
	case sec == nil:
		writeError(w, http.StatusBadRequest, "ResourceNotFoundException", "Secrets Manager can't find the specified secret.")
	default:
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		json.NewEncoder(w).Encode(out)
	}
}

// refuse takes a Refused fault, if that is the one set.
func (s *Server) refuse() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fault == nil || !s.fault.Refused {
		return false
	}
	s.takeFaultLocked()
	return true
}

func (s *Server) takeFaultLocked() *Fault {
	f := s.fault
	if f == nil {
		return nil
	}
	if f.Times > 0 {
		if f.Times--; f.Times == 0 {
			s.fault = nil
		}
	}
	g := *f
	if g.Type == "" {
		g.Type = "InternalServiceError"
	}
	if g.Status == 0 {
		g.Status = http.StatusBadRequest
		if g.Type == "InternalServiceError" {
			g.Status = http.StatusInternalServerError
		}
	}
	return &g
}

func writeError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]string{"__type": code, "message": msg})
}
