// Command hello is a minimal aws-lambda-go function that the runtimeapi tests and the cold start
// baseline benchmark drive through the Runtime API. Its event picks a behaviour.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"sync/atomic"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"
)

type event struct {
	Fail      bool `json:"fail"`      // return an error
	Panic     bool `json:"panic"`     // panic (aws-lambda-go reports it, then exits)
	Block     bool `json:"block"`     // never answer, ignoring the deadline
	BadStream bool `json:"badStream"` // start a response, then fail reading it
	SleepMS   int  `json:"sleepMs"`   // hold the invocation, so concurrent ones would overlap
}

// inFlight and maxInFlight let a test see whether invocations ever overlapped.
var inFlight, maxInFlight atomic.Int32

func handle(ctx context.Context, raw json.RawMessage) (any, error) {
	n := inFlight.Add(1)
	defer inFlight.Add(-1)
	for m := maxInFlight.Load(); n > m && !maxInFlight.CompareAndSwap(m, n); m = maxInFlight.Load() {
	}
	lc, _ := lambdacontext.FromContext(ctx)
	json.NewEncoder(os.Stdout).Encode(map[string]string{"msg": "invoke", "requestId": lc.AwsRequestID})

	var ev event
	if err := json.Unmarshal(raw, &ev); err != nil {
		return nil, err
	}
	switch {
	case ev.Panic:
		panic("hello: asked to panic")
	case ev.Fail:
		return nil, errors.New("hello: asked to fail")
	case ev.Block:
		time.Sleep(time.Hour)
	case ev.BadStream:
		return &brokenStream{}, nil
	}
	time.Sleep(time.Duration(ev.SleepMS) * time.Millisecond)
	deadline, _ := ctx.Deadline()
	traceID, _ := ctx.Value("x-amzn-trace-id").(string)
	return map[string]any{
		"echo":         raw,
		"requestId":    lc.AwsRequestID,
		"functionArn":  lc.InvokedFunctionArn,
		"functionName": lambdacontext.FunctionName,
		"memoryMB":     lambdacontext.MemoryLimitInMB,
		"traceId":      traceID,
		"deadlineMs":   deadline.UnixMilli(),
		"maxInFlight":  maxInFlight.Load(),
	}, nil
}

// brokenStream marshals to {}, so aws-lambda-go streams it as a reader; it fails after a few
// bytes, which the runtime reports in the response trailers.
type brokenStream struct{ sent bool }

func (b *brokenStream) Read(p []byte) (int, error) {
	if !b.sent {
		b.sent = true
		return copy(p, "partial"), nil
	}
	return 0, errors.New("hello: stream broke")
}

var _ io.Reader = (*brokenStream)(nil)

func main() {
	var opts []lambda.Option
	// Asking for SIGTERM makes aws-lambda-go register an extension, which is how Lambda knows
	// to send SIGTERM before SIGKILL when it shuts the environment down.
	if os.Getenv("HELLO_SIGTERM") != "" {
		opts = append(opts, lambda.WithEnableSIGTERM(func() {
			fmt.Println(`{"msg":"sigterm"}`)
			os.Exit(0)
		}))
	}
	lambda.StartWithOptions(handle, opts...)
}
