package main

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/plexauth/plexauth/devtools/apigw"
	"github.com/plexauth/plexauth/internal/api"
)

// gateway plays API Gateway: it matches the route, builds the event and
// invokes the handler with a Lambda-like context.
type gateway struct {
	routes  []*api.Handler // every route is ANY <path>, as in the template, "/pins/{id}" included
	timeout time.Duration
	logger  *slog.Logger
}

func newGateway(handlers []*api.Handler, timeout time.Duration, logger *slog.Logger) *gateway {
	return &gateway{routes: handlers, timeout: timeout, logger: logger}
}

// route finds the handler whose path (a template, as API Gateway's route
// keys) matches path; any method: the handler answers a wrong one with 405.
func (g *gateway) route(path string) (*api.Handler, bool) {
	for _, h := range g.routes {
		if _, ok := apigw.Match(h.Route().Path, path); ok {
			return h, true
		}
	}
	return nil, false
}

// ServeHTTP answers with the handler's envelope, or with API Gateway's own
// {"message"} where API Gateway would answer before any function runs.
func (g *gateway) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h, ok := g.route(r.URL.Path)
	if !ok {
		// API Gateway answers an unknown route key itself; no function runs.
		g.logger.Info("no route", "method", r.Method, "path", r.URL.Path, "status", http.StatusNotFound)
		writeMessage(w, http.StatusNotFound, "Not Found")
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		if _, tooLarge := errors.AsType[*http.MaxBytesError](err); tooLarge {
			writeMessage(w, http.StatusRequestEntityTooLarge, "Request Entity Too Large")
		} else {
			writeMessage(w, http.StatusBadRequest, "Bad Request")
		}
		return
	}
	ev := apigw.Event(r, body, apigw.Options{Route: h.Route().Path})

	// Like a Lambda invocation: a deadline the handler keeps its margin
	// from, and a request id that its log line carries.
	ctx, cancel := context.WithTimeout(r.Context(), g.timeout)
	defer cancel()
	ctx = lambdacontext.NewContext(ctx, &lambdacontext.LambdaContext{AwsRequestID: uuid()})
	resp, err := h.Handle(ctx, ev)
	if err != nil {
		writeMessage(w, http.StatusInternalServerError, "Internal Server Error")
		return
	}
	writeResponse(w, resp)
}

// uuid is a random (version 4) UUID, the shape of a Lambda request id.
func uuid() string {
	b := make([]byte, 16)
	rand.Read(b)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}
