package runtimeapi_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/plexauth/plexauth/devtools/runtimeapi"
)

// fakeRuntime speaks the runtime's side of the protocol with plain HTTP, for the cases a real
// runtime does not produce on demand.
type fakeRuntime struct {
	t    *testing.T
	base string
}

func newFake(t *testing.T) (*runtimeapi.Server, fakeRuntime) {
	s := runtimeapi.NewServer()
	t.Cleanup(s.Close)
	return s, fakeRuntime{t, "http://" + s.Addr() + "/2018-06-01/runtime/"}
}

func (f fakeRuntime) do(method, path, body string, header ...string) (int, http.Header, string) {
	f.t.Helper()
	req, err := http.NewRequestWithContext(f.t.Context(), method, f.base+path, strings.NewReader(body))
	if err != nil {
		f.t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		f.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(b)
}

type invokeResult struct {
	res runtimeapi.Result
	err error
}

func invokeAsync(ctx context.Context, s *runtimeapi.Server, event string) <-chan invokeResult {
	ch := make(chan invokeResult, 1)
	go func() {
		res, err := s.Invoke(ctx, []byte(event), time.Minute)
		ch <- invokeResult{res, err}
	}()
	return ch
}

func TestProtocolAnswers(t *testing.T) {
	tests := []struct {
		name       string
		path       string // after invocation/{id}/; "" posts to init/error
		body       string
		header     []string
		wantStatus int
		wantType   string // function error type; "" means success
		wantMsg    string
	}{
		{name: "response", path: "response", body: `{"ok":true}`, wantStatus: http.StatusAccepted},
		{name: "error from body", path: "error", body: `{"errorMessage":"boom","errorType":"MyError"}`,
			wantStatus: http.StatusAccepted, wantType: "MyError", wantMsg: "boom"},
		{name: "error type header wins", path: "error", body: `{"errorMessage":"boom","errorType":"MyError"}`,
			header: []string{"Lambda-Runtime-Function-Error-Type", "Runtime.Custom"}, wantStatus: http.StatusAccepted,
			wantType: "Runtime.Custom", wantMsg: "boom"},
		{name: "error with a body that is not JSON", path: "error", body: `oops`,
			header: []string{"Lambda-Runtime-Function-Error-Type", "Runtime.Custom"}, wantStatus: http.StatusAccepted,
			wantType: "Runtime.Custom"},
		{name: "response too large", path: "response", body: strings.Repeat("x", 6<<20+1),
			wantStatus: http.StatusRequestEntityTooLarge, wantType: "Function.ResponseSizeTooLarge",
			wantMsg: "Response payload size exceeded maximum allowed payload size (6291456 bytes)."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, rt := newFake(t)
			done := invokeAsync(t.Context(), s, `{"in":1}`)

			status, h, event := rt.do("GET", "invocation/next", "")
			if status != http.StatusOK || event != `{"in":1}` {
				t.Fatalf("next = %d %q", status, event)
			}
			id := h.Get("Lambda-Runtime-Aws-Request-Id")
			for _, k := range []string{"Lambda-Runtime-Aws-Request-Id", "Lambda-Runtime-Invoked-Function-Arn", "Lambda-Runtime-Trace-Id"} {
				if h.Get(k) == "" {
					t.Errorf("next lacks %s", k)
				}
			}
			if ms, err := strconv.ParseInt(h.Get("Lambda-Runtime-Deadline-Ms"), 10, 64); err != nil || ms <= time.Now().UnixMilli() {
				t.Errorf("deadline %q is not a future unix ms", h.Get("Lambda-Runtime-Deadline-Ms"))
			}

			if status, _, _ := rt.do("POST", "invocation/not-"+id+"/"+tt.path, tt.body, tt.header...); status != http.StatusBadRequest {
				t.Errorf("post for an unknown request id = %d, want 400", status)
			}
			if status, _, _ := rt.do("POST", "invocation/"+id+"/"+tt.path, tt.body, tt.header...); status != tt.wantStatus {
				t.Errorf("post = %d, want %d", status, tt.wantStatus)
			}
			if status, _, _ := rt.do("POST", "invocation/"+id+"/"+tt.path, tt.body, tt.header...); status != http.StatusBadRequest {
				t.Errorf("second post for the same invocation = %d, want 400", status)
			}

			got := <-done
			if got.err != nil || got.res.RequestID != id {
				t.Fatalf("Invoke = %q, %v; want %q", got.res.RequestID, got.err, id)
			}
			if tt.wantType == "" {
				if got.res.Err != nil || string(got.res.Payload) != tt.body {
					t.Errorf("Invoke = %q %+v, want payload %q", got.res.Payload, got.res.Err, tt.body)
				}
				return
			}
			if got.res.Err == nil || got.res.Err.Type != tt.wantType || got.res.Err.Message != tt.wantMsg {
				t.Errorf("function error = %+v, want %q %q", got.res.Err, tt.wantType, tt.wantMsg)
			}
		})
	}
}

func TestInitError(t *testing.T) {
	s, rt := newFake(t)
	queued := invokeAsync(t.Context(), s, `{}`)

	status, _, _ := rt.do("POST", "init/error", `{"errorMessage":"no config","errorType":"InitFailed"}`,
		"Lambda-Runtime-Function-Error-Type", "Runtime.ExitError")
	if status != http.StatusAccepted {
		t.Fatalf("init/error = %d, want 202", status)
	}
	if fe := s.InitError(); fe == nil || fe.Type != "Runtime.ExitError" || fe.Message != "no config" {
		t.Errorf("InitError = %+v", fe)
	}
	if got := <-queued; !errors.Is(got.err, runtimeapi.ErrInitFailed) {
		t.Errorf("queued Invoke = %v, want ErrInitFailed", got.err)
	}
	if _, err := s.Invoke(t.Context(), nil, 0); !errors.Is(err, runtimeapi.ErrInitFailed) {
		t.Errorf("later Invoke = %v, want ErrInitFailed", err)
	}
}

func TestInitErrorAfterNextIsRefused(t *testing.T) {
	s, rt := newFake(t)
	done := invokeAsync(t.Context(), s, `{}`)
	_, h, _ := rt.do("GET", "invocation/next", "")
	if status, _, _ := rt.do("POST", "init/error", `{}`); status != http.StatusForbidden {
		t.Errorf("init/error after next = %d, want 403", status)
	}
	rt.do("POST", "invocation/"+h.Get("Lambda-Runtime-Aws-Request-Id")+"/response", `1`)
	if got := <-done; got.err != nil || string(got.res.Payload) != "1" {
		t.Errorf("Invoke = %q %v", got.res.Payload, got.err)
	}
}

// An Invoke whose caller gives up before the runtime takes it must not be handed out later.
func TestCancelledInvokeLeavesQueue(t *testing.T) {
	s, rt := newFake(t)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := s.Invoke(ctx, []byte(`"gone"`), 0); !errors.Is(err, context.Canceled) {
		t.Fatalf("Invoke with a cancelled ctx = %v", err)
	}
	done := invokeAsync(t.Context(), s, `"kept"`)
	_, h, event := rt.do("GET", "invocation/next", "")
	if event != `"kept"` {
		t.Fatalf("next handed out %s, want the live invocation", event)
	}
	rt.do("POST", "invocation/"+h.Get("Lambda-Runtime-Aws-Request-Id")+"/response", `"ok"`)
	if got := <-done; got.err != nil {
		t.Error(got.err)
	}
}

func TestCloseFailsPendingInvokes(t *testing.T) {
	s, _ := newFake(t)
	pending := invokeAsync(t.Context(), s, `{}`)
	s.Close()
	if got := <-pending; !errors.Is(got.err, runtimeapi.ErrClosed) {
		t.Errorf("pending Invoke = %v, want ErrClosed", got.err)
	}
	if _, err := s.Invoke(t.Context(), nil, 0); !errors.Is(err, runtimeapi.ErrClosed) {
		t.Errorf("Invoke after Close = %v, want ErrClosed", err)
	}
}
