package runtimeapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/plexauth/plexauth/devtools/runtimeapi"
)

const (
	helloPkg = "devtools/runtimeapi/testdata/hello"
	exitsPkg = "devtools/runtimeapi/testdata/exits"
)

// hang guards every wait in these tests: a broken emulator fails the test instead of hanging
// it. The tests assert which error came back, never how fast.
const hang = 30 * time.Second

type helloReply struct {
	Echo         json.RawMessage `json:"echo"`
	RequestID    string          `json:"requestId"`
	FunctionArn  string          `json:"functionArn"`
	FunctionName string          `json:"functionName"`
	MemoryMB     int             `json:"memoryMB"`
	TraceID      string          `json:"traceId"`
	DeadlineMs   int64           `json:"deadlineMs"`
	MaxInFlight  int             `json:"maxInFlight"`
}

func TestHelloInvocations(t *testing.T) {
	bin := runtimeapi.Build(t, helloPkg)
	srv, proc := runtimeapi.Run(t, bin, "AWS_LAMBDA_FUNCTION_NAME=hello-fn", "AWS_REGION=eu-west-1")
	ctx, cancel := context.WithTimeout(t.Context(), hang)
	defer cancel()

	tests := []struct {
		name     string
		event    string
		wantType string // function error type; "" means success
		wantMsg  string
	}{
		{name: "echo", event: `{"hello":"world"}`},
		{name: "empty event is {}", event: ``},
		{name: "function error", event: `{"fail":true}`, wantType: "errorString", wantMsg: "hello: asked to fail"},
		{name: "after an error the runtime carries on", event: `{"n":2}`},
		{name: "response stream breaks", event: `{"badStream":true}`, wantType: "errorString", wantMsg: "hello: stream broke"},
	}
	seen := map[string]bool{}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			const timeout = 5 * time.Second
			before := time.Now()
			res, err := srv.Invoke(ctx, []byte(tt.event), timeout)
			after := time.Now()
			if err != nil {
				t.Fatalf("Invoke: %v", err)
			}
			if res.RequestID == "" || seen[res.RequestID] {
				t.Errorf("request id %q is empty or reused", res.RequestID)
			}
			seen[res.RequestID] = true
			if !bytes.Contains(proc.Stdout(), []byte(res.RequestID)) {
				t.Errorf("stdout does not hold the function's log line for %s", res.RequestID)
			}

			if tt.wantType != "" {
				if res.Err == nil {
					t.Fatalf("want function error %s, got payload %s", tt.wantType, res.Payload)
				}
				if res.Err.Type != tt.wantType || res.Err.Message != tt.wantMsg {
					t.Errorf("function error = %q %q, want %q %q", res.Err.Type, res.Err.Message, tt.wantType, tt.wantMsg)
				}
				return
			}
			if res.Err != nil {
				t.Fatalf("unexpected function error %s: %s", res.Err.Type, res.Err.Message)
			}
			var got helloReply
			if err := json.Unmarshal(res.Payload, &got); err != nil {
				t.Fatalf("payload %q: %v", res.Payload, err)
			}
			wantEcho := tt.event
			if wantEcho == "" {
				wantEcho = "{}"
			}
			if string(got.Echo) != wantEcho {
				t.Errorf("echo = %s, want %s", got.Echo, wantEcho)
			}
			if got.RequestID != res.RequestID {
				t.Errorf("function saw request id %q, Invoke reported %q", got.RequestID, res.RequestID)
			}
			if want := "arn:aws:lambda:eu-west-1:123456789012:function:hello-fn"; got.FunctionArn != want {
				t.Errorf("function ARN = %q, want %q", got.FunctionArn, want)
			}
			if got.FunctionName != "hello-fn" || got.MemoryMB != 128 {
				t.Errorf("function name, memory = %q, %d; want hello-fn, 128", got.FunctionName, got.MemoryMB)
			}
			if !strings.HasPrefix(got.TraceID, "Root=1-") {
				t.Errorf("trace id = %q", got.TraceID)
			}
			// The deadline is set when the runtime takes the invocation, inside [before, after].
			lo, hi := before.Add(timeout).UnixMilli(), after.Add(timeout).UnixMilli()
			if got.DeadlineMs < lo || got.DeadlineMs > hi {
				t.Errorf("deadline %d ms outside [%d, %d]", got.DeadlineMs, lo, hi)
			}
		})
	}

	select {
	case <-srv.Ready():
	default:
		t.Error("Ready not closed after invocations were served")
	}
	if !srv.ReadyAt().After(proc.StartedAt()) {
		t.Errorf("ReadyAt %v not after StartedAt %v", srv.ReadyAt(), proc.StartedAt())
	}
	// aws-lambda-go logs every function error it reports.
	if !bytes.Contains(proc.Stderr(), []byte("hello: asked to fail")) {
		t.Errorf("stderr lacks the reported error; got %q", proc.Stderr())
	}
}

// Lambda hands a runtime one invocation at a time even when it polls /next concurrently
// (aws-lambda-go does with AWS_LAMBDA_MAX_CONCURRENCY); the others wait their turn.
func TestConcurrentInvokesAreSerialised(t *testing.T) {
	bin := runtimeapi.Build(t, helloPkg)
	srv, _ := runtimeapi.Run(t, bin, "AWS_LAMBDA_MAX_CONCURRENCY=4")
	ctx, cancel := context.WithTimeout(t.Context(), hang)
	defer cancel()

	const n = 8
	results := make([]runtimeapi.Result, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { results[i], errs[i] = srv.Invoke(ctx, []byte(`{"sleepMs":20}`), 0) })
	}
	wg.Wait()

	ids := map[string]bool{}
	for i, res := range results {
		if errs[i] != nil || res.Err != nil {
			t.Fatalf("invoke %d: %v %v", i, errs[i], res.Err)
		}
		var got helloReply
		if err := json.Unmarshal(res.Payload, &got); err != nil {
			t.Fatal(err)
		}
		if got.MaxInFlight != 1 {
			t.Errorf("invoke %d: function saw %d invocations at once, want 1", i, got.MaxInFlight)
		}
		ids[res.RequestID] = true
	}
	if len(ids) != n {
		t.Errorf("%d distinct request ids for %d invocations", len(ids), n)
	}
}

// Each case ends the runtime; Invoke must then fail with the reason instead of waiting.
func TestRuntimeEnds(t *testing.T) {
	tests := []struct {
		name       string
		pkg        string
		event      string
		timeout    time.Duration
		wantFnErr  string // message of the function error the first Invoke returns
		wantErr    error  // error of the first Invoke
		wantStderr string
		wantReady  bool
	}{
		{
			name:       "exits before asking for work",
			pkg:        exitsPkg,
			event:      `{}`,
			wantErr:    runtimeapi.ErrProcessExited,
			wantStderr: `"msg":"missing setting"`,
		},
		{
			name:       "panics",
			pkg:        helloPkg,
			event:      `{"panic":true}`,
			wantFnErr:  "hello: asked to panic",
			wantStderr: "hello: asked to panic",
			wantReady:  true,
		},
		{
			name:      "outruns its deadline",
			pkg:       helloPkg,
			event:     `{"block":true}`,
			timeout:   200 * time.Millisecond,
			wantErr:   runtimeapi.ErrTimeout,
			wantReady: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			bin := runtimeapi.Build(t, tt.pkg)
			srv, proc := runtimeapi.Run(t, bin)
			ctx, cancel := context.WithTimeout(t.Context(), hang)
			defer cancel()

			res, err := srv.Invoke(ctx, []byte(tt.event), tt.timeout)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("Invoke error = %v, want %v", err, tt.wantErr)
			}
			if res.RequestID == "" {
				t.Error("no request id in the result")
			}
			if tt.wantFnErr != "" && (res.Err == nil || res.Err.Message != tt.wantFnErr) {
				t.Errorf("function error = %+v, want message %q", res.Err, tt.wantFnErr)
			}

			select {
			case <-proc.Exited():
			case <-ctx.Done():
				t.Fatal("process did not exit")
			}
			if _, err := srv.Invoke(ctx, []byte(`{}`), 0); !errors.Is(err, runtimeapi.ErrProcessExited) {
				t.Errorf("Invoke after exit = %v, want ErrProcessExited", err)
			}
			if tt.pkg == exitsPkg {
				var ee *exec.ExitError
				if !errors.As(proc.ExitErr(), &ee) || ee.ExitCode() != 3 {
					t.Errorf("ExitErr = %v, want exit status 3", proc.ExitErr())
				}
			}
			if !strings.Contains(string(proc.Stderr()), tt.wantStderr) {
				t.Errorf("stderr %q lacks %q", proc.Stderr(), tt.wantStderr)
			}
			ready := false
			select {
			case <-srv.Ready():
				ready = true
			default:
			}
			if ready != tt.wantReady {
				t.Errorf("ready = %v, want %v", ready, tt.wantReady)
			}
			if err := proc.Stop(); err != nil {
				t.Errorf("Stop after exit: %v", err)
			}
		})
	}
}

// A server outlives its runtime: Start attaches a fresh one after the first has gone.
func TestRestartOnSameServer(t *testing.T) {
	bin := runtimeapi.Build(t, helloPkg)
	srv, first := runtimeapi.Run(t, bin)
	ctx, cancel := context.WithTimeout(t.Context(), hang)
	defer cancel()

	if _, err := runtimeapi.Start(ctx, bin, srv, nil); err == nil {
		t.Fatal("Start with a live runtime attached succeeded")
	}
	if err := first.Stop(); err != nil {
		t.Fatal(err)
	}
	second, err := runtimeapi.Start(ctx, bin, srv, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer second.Stop()
	res, err := srv.Invoke(ctx, []byte(`{"again":true}`), 0)
	if err != nil || res.Err != nil {
		t.Fatalf("Invoke on the restarted runtime: %v %v", err, res.Err)
	}
}

func TestStop(t *testing.T) {
	tests := []struct {
		name        string
		env         []string
		wantSigterm bool
	}{
		{name: "plain runtime is killed", wantSigterm: false},
		{name: "runtime with an extension gets SIGTERM first", env: []string{"HELLO_SIGTERM=1"}, wantSigterm: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			bin := runtimeapi.Build(t, helloPkg)
			srv, proc := runtimeapi.Run(t, bin, tt.env...)
			ctx, cancel := context.WithTimeout(t.Context(), hang)
			defer cancel()
			if res, err := srv.Invoke(ctx, nil, 0); err != nil || res.Err != nil {
				t.Fatalf("Invoke: %v %v", err, res.Err)
			}
			if err := proc.Stop(); err != nil {
				t.Fatalf("Stop: %v", err)
			}
			if err := proc.Stop(); err != nil {
				t.Fatalf("second Stop: %v", err)
			}
			got := bytes.Contains(proc.Stdout(), []byte(`"msg":"sigterm"`))
			if got != tt.wantSigterm {
				t.Errorf("SIGTERM handler ran = %v, want %v; stdout %q", got, tt.wantSigterm, proc.Stdout())
			}
			if proc.ExitErr() == nil && !tt.wantSigterm {
				t.Error("killed runtime reports a clean exit")
			}
		})
	}
}
