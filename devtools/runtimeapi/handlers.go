package runtimeapi

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"
)

// Headers of the Runtime API, as the runtime client in aws-lambda-go reads and writes them.
const (
	headerRequestID   = "Lambda-Runtime-Aws-Request-Id"
	headerDeadline    = "Lambda-Runtime-Deadline-Ms"
	headerFunctionARN = "Lambda-Runtime-Invoked-Function-Arn"
	headerTraceID     = "Lambda-Runtime-Trace-Id"
	headerErrorType   = "Lambda-Runtime-Function-Error-Type"
	// A runtime whose response stream fails midway reports the error in these trailers.
	trailerErrorType = "Lambda-Runtime-Function-Error-Type"
	trailerErrorBody = "Lambda-Runtime-Function-Error-Body"
)

// handleNext is the runtime's long poll: it waits until no invocation is in progress and one is
// queued, then hands that one out with its deadline.
func (s *Server) handleNext(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	gen := s.gen
	if s.readyAt.IsZero() {
		s.readyAt = time.Now()
		close(s.ready)
	}
	for {
		if s.closed || s.gen != gen {
			s.mu.Unlock()
			// The API documents 500 as "the runtime should exit".
			writeAPIError(w, http.StatusInternalServerError, "Runtime.Gone", "runtime API no longer serves this runtime")
			return
		}
		if s.current == nil && len(s.queue) > 0 {
			break
		}
		wake := s.wake
		s.mu.Unlock()
		select {
		case <-wake:
		case <-r.Context().Done():
			return
		}
		s.mu.Lock()
	}
	if r.Context().Err() != nil { // the runtime went away while waiting: keep the work queued
		s.mu.Unlock()
		return
	}
	inv := s.queue[0]
	s.queue[0] = nil
	s.queue = s.queue[1:]
	s.current = inv
	inv.handedAt = time.Now()
	deadline := inv.handedAt.Add(inv.timeout)
	inv.timer = time.AfterFunc(inv.timeout, func() { s.expire(inv) })
	arn := fmt.Sprintf("arn:aws:lambda:%s:%s:function:%s", s.region, accountID, s.function)
	s.mu.Unlock()

	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set(headerRequestID, inv.id)
	h.Set(headerDeadline, fmt.Sprint(deadline.UnixMilli()))
	h.Set(headerFunctionARN, arn)
	h.Set(headerTraceID, newTraceID(inv.handedAt))
	w.WriteHeader(http.StatusOK)
	w.Write(inv.event)
}

// expire ends an invocation that outran its deadline the way Lambda does: the caller gets a
// timeout and the execution environment is torn down.
func (s *Server) expire(inv *invocation) {
	s.mu.Lock()
	if s.current != inv {
		s.mu.Unlock()
		return
	}
	s.current = nil
	s.broadcast()
	p := s.proc
	s.mu.Unlock()
	if p != nil {
		p.kill()
	}
	inv.finish(Result{RequestID: inv.id, Duration: inv.timeout}, ErrTimeout)
}

// take removes the current invocation if id names it.
func (s *Server) take(id string) *invocation {
	s.mu.Lock()
	defer s.mu.Unlock()
	inv := s.current
	if inv == nil || inv.id != id {
		return nil
	}
	s.current = nil
	s.broadcast()
	return inv
}

func (s *Server) handleResponse(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxPayload))
	var tooLarge *http.MaxBytesError
	if err != nil && !errors.As(err, &tooLarge) {
		return // the runtime went away mid-body; the deadline or its exit settles the invocation
	}
	inv := s.take(r.PathValue("id"))
	if inv == nil {
		writeAPIError(w, http.StatusBadRequest, "InvalidRequestID", "no invocation in progress with this request id")
		return
	}
	res := Result{RequestID: inv.id, Duration: time.Since(inv.handedAt)}
	switch {
	case tooLarge != nil:
		msg := fmt.Sprintf("Response payload size exceeded maximum allowed payload size (%d bytes).", maxPayload)
		res.Err = &FunctionError{Type: "Function.ResponseSizeTooLarge", Message: msg}
		writeAPIError(w, http.StatusRequestEntityTooLarge, "RequestEntityTooLarge", msg)
	case r.Trailer.Get(trailerErrorType) != "":
		encoded, _ := base64.StdEncoding.DecodeString(r.Trailer.Get(trailerErrorBody))
		res.Err = parseFunctionError(r.Trailer.Get(trailerErrorType), encoded)
		writeAccepted(w)
	default:
		res.Payload = body
		writeAccepted(w)
	}
	inv.finish(res, nil)
}

func (s *Server) handleError(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxPayload))
	if err != nil {
		return
	}
	inv := s.take(r.PathValue("id"))
	if inv == nil {
		writeAPIError(w, http.StatusBadRequest, "InvalidRequestID", "no invocation in progress with this request id")
		return
	}
	fe := parseFunctionError(r.Header.Get(headerErrorType), body)
	writeAccepted(w)
	inv.finish(Result{RequestID: inv.id, Err: fe, Duration: time.Since(inv.handedAt)}, nil)
}

func (s *Server) handleInitError(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxPayload))
	if err != nil {
		return
	}
	fe := parseFunctionError(r.Header.Get(headerErrorType), body)
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.readyAt.IsZero() {
		// Init is over once /next was called; the real API refuses the transition.
		writeAPIError(w, http.StatusForbidden, "InvalidStateTransition", "init error after the runtime asked for an invocation")
		return
	}
	s.initErr = fe
	s.failAll(fmt.Errorf("%w (%s)", ErrInitFailed, fe.Type))
	writeAccepted(w)
}

func (s *Server) handleExtensionRegister(w http.ResponseWriter, r *http.Request) {
	io.Copy(io.Discard, r.Body)
	s.mu.Lock()
	s.extensions++
	function := s.function
	s.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Lambda-Extension-Identifier", newRequestID())
	json.NewEncoder(w).Encode(map[string]string{"functionName": function, "functionVersion": "$LATEST", "handler": "bootstrap"})
}

// handleExtensionNext never delivers an event: the only extension expected is aws-lambda-go's,
// which registers for none and parks here for the life of the process.
func (s *Server) handleExtensionNext(w http.ResponseWriter, r *http.Request) {
	for {
		s.mu.Lock()
		closed, wake := s.closed, s.wake
		s.mu.Unlock()
		if closed {
			writeAPIError(w, http.StatusInternalServerError, "Runtime.Gone", "runtime API closed")
			return
		}
		select {
		case <-wake:
		case <-r.Context().Done():
			return
		}
	}
}

func parseFunctionError(errType string, body []byte) *FunctionError {
	var m struct {
		Type    string `json:"errorType"`
		Message string `json:"errorMessage"`
	}
	_ = json.Unmarshal(body, &m) // any body is accepted; Body keeps it as posted
	fe := &FunctionError{Type: m.Type, Message: m.Message, Body: body}
	if errType != "" {
		fe.Type = errType
	}
	return fe
}

func writeAccepted(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusAccepted)
	io.WriteString(w, `{"status":"OK"}`)
}

func writeAPIError(w http.ResponseWriter, status int, errType, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]string{"errorType": errType, "errorMessage": msg})
}

// newRequestID returns a random UUID, the form Lambda's request ids take.
func newRequestID() string {
	var b [16]byte
	rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}

// newTraceID returns an X-Ray trace header in the form Lambda sends.
func newTraceID(t time.Time) string {
	var b [20]byte
	rand.Read(b[:])
	return fmt.Sprintf("Root=1-%08x-%s;Parent=%s;Sampled=0", t.Unix(), hex.EncodeToString(b[:12]), hex.EncodeToString(b[12:]))
}
