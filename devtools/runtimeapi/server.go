package runtimeapi

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"time"
)

const (
	// DefaultTimeout is Lambda's default function timeout, used when Invoke is given none.
	DefaultTimeout = 3 * time.Second
	// DefaultFunctionName and DefaultRegion name the emulated function unless the environment
	// given to Start overrides AWS_LAMBDA_FUNCTION_NAME or AWS_REGION.
	DefaultFunctionName = "test-function"
	DefaultRegion       = "us-east-1"

	accountID = "123456789012"
	// maxPayload is Lambda's limit for a synchronous response; a bigger one fails here as it
	// would in the cloud.
	maxPayload = 6 << 20
)

// Errors Invoke returns when no answer from the function can come; a function error is not one
// of these but a Result with Err set.
var (
	ErrClosed        = errors.New("runtimeapi: server closed")
	ErrProcessExited = errors.New("runtimeapi: runtime process exited")
	ErrTimeout       = errors.New("runtimeapi: invocation timed out")
	ErrInitFailed    = errors.New("runtimeapi: runtime reported an init error")
)

// Result is the outcome of one invocation.
type Result struct {
	RequestID string
	Payload   []byte         // the response body; nil when Err is set
	Err       *FunctionError // nil on success
	Duration  time.Duration  // from hand-out to the runtime until its answer
}

// FunctionError is what the runtime posted to .../error or /init/error (or, for a response
// stream that broke, in the response trailers).
type FunctionError struct {
	Type    string // Lambda-Runtime-Function-Error-Type when sent, else errorType from the body
	Message string // errorMessage from the body
	Body    []byte // the body as posted: {"errorMessage","errorType","stackTrace"}
}

// Error names the type only: the message and body are the function's and may carry anything.
func (e *FunctionError) Error() string { return "runtimeapi: function error " + e.Type }

type invocation struct {
	id       string
	event    []byte
	timeout  time.Duration
	handedAt time.Time
	timer    *time.Timer
	done     chan struct{}
	res      Result
	err      error
}

// finish is called once, by whoever removed the invocation from the queue or from current
// while holding Server.mu.
func (inv *invocation) finish(res Result, err error) {
	if inv.timer != nil {
		inv.timer.Stop()
	}
	inv.res, inv.err = res, err
	close(inv.done)
}

// Server is one emulated execution environment. It is safe for concurrent use; it hands out one
// invocation at a time, as Lambda does, and queues the others.
type Server struct {
	ln  net.Listener
	srv *http.Server

	mu      sync.Mutex
	wake    chan struct{} // closed and replaced on every state change; waiting /next calls watch it
	closed  bool
	queue   []*invocation
	current *invocation // handed out and not yet answered
	// gen counts attached processes, so that a /next left over from a dead process cannot take
	// an invocation meant for its successor.
	gen        int
	proc       *Process
	procErr    error // why proc is gone; Invoke fails fast with it
	initErr    *FunctionError
	ready      chan struct{}
	readyAt    time.Time
	extensions int
	function   string
	region     string
}

// NewServer starts a Runtime API on 127.0.0.1 on a free port. Like httptest.NewServer, it
// panics if it cannot listen.
func NewServer() *Server {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic("runtimeapi: listen: " + err.Error())
	}
	s := &Server{
		ln:       ln,
		wake:     make(chan struct{}),
		ready:    make(chan struct{}),
		function: DefaultFunctionName,
		region:   DefaultRegion,
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /2018-06-01/runtime/invocation/next", s.handleNext)
	mux.HandleFunc("POST /2018-06-01/runtime/invocation/{id}/response", s.handleResponse)
	mux.HandleFunc("POST /2018-06-01/runtime/invocation/{id}/error", s.handleError)
	mux.HandleFunc("POST /2018-06-01/runtime/init/error", s.handleInitError)
	// aws-lambda-go registers an internal extension when SIGTERM handling is enabled.
	mux.HandleFunc("POST /2020-01-01/extension/register", s.handleExtensionRegister)
	mux.HandleFunc("GET /2020-01-01/extension/event/next", s.handleExtensionNext)
	s.srv = &http.Server{Handler: mux}
	go s.srv.Serve(ln)
	return s
}

// Addr is the host:port to put in AWS_LAMBDA_RUNTIME_API.
func (s *Server) Addr() string { return s.ln.Addr().String() }

// Ready is closed when the runtime first calls /next (since NewServer or the last Start): its
// init phase is over.
func (s *Server) Ready() <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.ready
}

// ReadyAt is when Ready was closed, or the zero time.
func (s *Server) ReadyAt() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.readyAt
}

// InitError is what the runtime posted to /init/error, or nil.
func (s *Server) InitError() *FunctionError {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.initErr
}

// Invoke queues event (an empty event is sent as {}, like the Lambda console does) and waits
// for the function's answer. The deadline, now plus timeout (DefaultTimeout if <= 0), starts
// when the runtime takes the invocation, as Lambda's does. Past it Invoke returns ErrTimeout and,
// as Lambda does, kills the attached process. It also returns early with ErrProcessExited,
// ErrInitFailed, ErrClosed or the ctx error; Result.RequestID is set in every case.
func (s *Server) Invoke(ctx context.Context, event []byte, timeout time.Duration) (Result, error) {
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	if len(event) == 0 {
		event = []byte("{}")
	}
	inv := &invocation{id: newRequestID(), event: bytes.Clone(event), timeout: timeout, done: make(chan struct{})}
	s.mu.Lock()
	if err := s.unavailable(); err != nil {
		s.mu.Unlock()
		return Result{RequestID: inv.id}, err
	}
	s.queue = append(s.queue, inv)
	s.broadcast()
	s.mu.Unlock()

	select {
	case <-inv.done:
		return inv.res, inv.err
	case <-ctx.Done():
	}
	s.mu.Lock()
	for i, q := range s.queue {
		if q == inv {
			s.queue = append(s.queue[:i], s.queue[i+1:]...)
			break
		}
	}
	s.mu.Unlock()
	// An invocation already handed out stays with the runtime, so that its answer is still
	// accepted: Lambda does not stop a function because its caller went away.
	select {
	case <-inv.done:
		return inv.res, inv.err
	default:
		return Result{RequestID: inv.id}, fmt.Errorf("runtimeapi: invoke: %w", context.Cause(ctx))
	}
}

// Close stops the server and fails every pending Invoke with ErrClosed. It does not stop an
// attached process; Process.Stop does (a runtime whose API is gone exits on its own).
func (s *Server) Close() {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.closed = true
	s.failAll(ErrClosed)
	s.mu.Unlock()
	s.srv.Close()
}

// unavailable reports why no invocation can be served now. Callers hold s.mu.
func (s *Server) unavailable() error {
	switch {
	case s.closed:
		return ErrClosed
	case s.initErr != nil:
		return fmt.Errorf("%w (%s)", ErrInitFailed, s.initErr.Type)
	default:
		return s.procErr
	}
}

// broadcast wakes every waiting /next. Callers hold s.mu.
func (s *Server) broadcast() {
	close(s.wake)
	s.wake = make(chan struct{})
}

// failAll fails the queued and the current invocations. Callers hold s.mu.
func (s *Server) failAll(err error) {
	for _, inv := range s.queue {
		inv.finish(Result{RequestID: inv.id}, err)
	}
	s.queue = nil
	if inv := s.current; inv != nil {
		s.current = nil
		inv.finish(Result{RequestID: inv.id, Duration: time.Since(inv.handedAt)}, err)
	}
	s.broadcast()
}

// attach makes p the runtime behind this server and starts a new generation: readiness, init
// error and process exit are tracked afresh.
func (s *Server) attach(p *Process, function, region string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ErrClosed
	}
	if s.proc != nil && s.procErr == nil {
		return errors.New("runtimeapi: a runtime process is already attached")
	}
	s.gen++
	s.proc, s.procErr, s.initErr = p, nil, nil
	s.ready, s.readyAt = make(chan struct{}), time.Time{}
	s.extensions = 0
	s.function, s.region = function, region
	s.broadcast()
	return nil
}

// processExited fails what p can no longer answer; later Invokes fail fast until a new Start.
func (s *Server) processExited(p *Process, waitErr error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.proc != p {
		return
	}
	status := "exit status 0"
	if waitErr != nil {
		status = waitErr.Error()
	}
	s.procErr = fmt.Errorf("%w (%s)", ErrProcessExited, status)
	s.failAll(s.procErr)
}

func (s *Server) extensionsRegistered(p *Process) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.proc == p && s.extensions > 0
}
