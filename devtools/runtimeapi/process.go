package runtimeapi

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"
)

// shutdownGrace is how long Lambda lets a runtime with an internal extension handle SIGTERM
// before it kills the process.
const shutdownGrace = 500 * time.Millisecond

// Process is a bootstrap binary running against a Server.
type Process struct {
	cmd     *exec.Cmd
	srv     *Server
	started time.Time
	stdout  capture
	stderr  capture
	exited  chan struct{}
	exitErr error
}

// Start runs the bootstrap at bootstrapPath as the runtime behind s, in its own directory (as
// Lambda runs it from the task root), until ctx is done or Stop is called. Like Lambda, it does
// not pass on this process's environment: the function sees Lambda's variables (function name,
// 128 MB, $LATEST, region, _HANDLER=bootstrap, AWS_LAMBDA_RUNTIME_API=s.Addr(), ...) with env
// ("KEY=value") added on top, so host credentials and config files cannot reach it.
func Start(ctx context.Context, bootstrapPath string, s *Server, env []string) (*Process, error) {
	path, err := filepath.Abs(bootstrapPath)
	if err != nil {
		return nil, fmt.Errorf("runtimeapi: start: %w", err)
	}
	environ := lambdaEnv(s.Addr(), filepath.Dir(path), env)
	p := &Process{srv: s, exited: make(chan struct{})}
	if err := p.stdout.open(); err != nil {
		return nil, fmt.Errorf("runtimeapi: start: %w", err)
	}
	if err := p.stderr.open(); err != nil {
		p.stdout.finish()
		return nil, fmt.Errorf("runtimeapi: start: %w", err)
	}
	if err := s.attach(p, lookupEnv(environ, "AWS_LAMBDA_FUNCTION_NAME"), lookupEnv(environ, "AWS_REGION")); err != nil {
		p.stdout.finish()
		p.stderr.finish()
		return nil, err
	}
	for attempt := 1; ; attempt++ {
		cmd := exec.CommandContext(ctx, path)
		cmd.Dir = filepath.Dir(path)
		cmd.Env = environ
		cmd.Stdout = p.stdout.f
		cmd.Stderr = p.stderr.f
		p.started = time.Now()
		err = cmd.Start()
		if err == nil {
			p.cmd = cmd
			break
		}
		// A binary written moments ago may still be open for writing in a child that another
		// goroutine was forking (Go issue 22315); the kernel refuses to exec it for a moment.
		if errors.Is(err, syscall.ETXTBSY) && attempt < 5 {
			time.Sleep(time.Duration(attempt) * 20 * time.Millisecond)
			continue
		}
		p.exitErr = err
		p.stdout.finish()
		p.stderr.finish()
		s.processExited(p, err)
		close(p.exited)
		return nil, fmt.Errorf("runtimeapi: start %s: %w", filepath.Base(path), err)
	}
	go func() {
		err := p.cmd.Wait()
		p.exitErr = err
		p.stdout.finish()
		p.stderr.finish()
		// Tell the server first, so an Invoke made once Exited is closed fails at once.
		s.processExited(p, err)
		close(p.exited)
	}()
	return p, nil
}

// StartedAt is when the process was started: the origin of a cold start measurement.
func (p *Process) StartedAt() time.Time { return p.started }

// Pid is the process id of the running bootstrap.
func (p *Process) Pid() int { return p.cmd.Process.Pid }

// Exited is closed once the process has exited and its output is complete.
func (p *Process) Exited() <-chan struct{} { return p.exited }

// ExitErr is the process's exit status as exec.Cmd.Wait reports it (nil for status 0); it is
// meaningful once Exited is closed.
func (p *Process) ExitErr() error {
	select {
	case <-p.exited:
		return p.exitErr
	default:
		return nil
	}
}

// Stdout and Stderr return what the function wrote so far. The function writes them to files,
// not pipes, so a line it logged before answering an invocation is here once Invoke returns.
func (p *Process) Stdout() []byte { return p.stdout.bytes() }
func (p *Process) Stderr() []byte { return p.stderr.bytes() }

// Output is Stdout followed by Stderr: everything the function logged.
func (p *Process) Output() []byte { return append(p.Stdout(), p.Stderr()...) }

// Stop ends the process as Lambda ends an environment: SIGTERM and a short grace if the runtime
// registered an extension (which is what asks Lambda for SIGTERM), else SIGKILL. It waits for the
// exit and is safe to call more than once; the exit status is ExitErr's.
func (p *Process) Stop() error {
	select {
	case <-p.exited:
		return nil
	default:
	}
	if p.srv.extensionsRegistered(p) && p.cmd.Process.Signal(syscall.SIGTERM) == nil {
		select {
		case <-p.exited:
			return nil
		case <-time.After(shutdownGrace):
		}
	}
	if err := p.cmd.Process.Kill(); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("runtimeapi: stop: %w", err)
	}
	<-p.exited
	return nil
}

func (p *Process) kill() { p.cmd.Process.Kill() }

// lambdaEnv is the environment Lambda gives a provided.al2023 function, then env, then the
// Runtime API address, which must not be overridden. Later entries win.
func lambdaEnv(addr, taskRoot string, env []string) []string {
	name := lookupEnv(env, "AWS_LAMBDA_FUNCTION_NAME")
	if name == "" {
		name = DefaultFunctionName
	}
	region := lookupEnv(env, "AWS_REGION")
	if region == "" {
		region = DefaultRegion
	}
	out := []string{
		"PATH=/usr/local/bin:/usr/bin/:/bin:/opt/bin",
		"LANG=en_US.UTF-8",
		"TZ=:UTC",
		"_HANDLER=bootstrap",
		"LAMBDA_TASK_ROOT=" + taskRoot,
		"LAMBDA_RUNTIME_DIR=/var/runtime",
		"AWS_REGION=" + region,
		"AWS_DEFAULT_REGION=" + region,
		"AWS_LAMBDA_FUNCTION_NAME=" + name,
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE=128",
		"AWS_LAMBDA_FUNCTION_VERSION=$LATEST",
		"AWS_LAMBDA_INITIALIZATION_TYPE=on-demand",
		"AWS_LAMBDA_LOG_GROUP_NAME=/aws/lambda/" + name,
		// What Lambda sets for the template's LoggingConfig (LogFormat JSON,
		// ApplicationLogLevel INFO): lambdacontext's handler reads them.
		"AWS_LAMBDA_LOG_FORMAT=JSON",
		"AWS_LAMBDA_LOG_LEVEL=INFO",
		"AWS_LAMBDA_LOG_STREAM_NAME=" + time.Now().UTC().Format("2006/01/02") + "/[$LATEST]" + strings.ReplaceAll(newRequestID(), "-", ""),
		// Not a Lambda variable: there is no instance metadata service here, and an SDK that
		// looks for credentials there would stall the function for seconds.
		"AWS_EC2_METADATA_DISABLED=true",
	}
	out = append(out, env...)
	return append(out, "AWS_LAMBDA_RUNTIME_API="+addr)
}

// lookupEnv returns the last value of key in env, as exec.Cmd applies duplicates.
func lookupEnv(env []string, key string) string {
	for i := len(env) - 1; i >= 0; i-- {
		if v, ok := strings.CutPrefix(env[i], key+"="); ok {
			return v
		}
	}
	return ""
}

// capture holds one output stream of the process in a temporary file while it runs, and in
// memory once it has exited (the file is then removed).
type capture struct {
	mu   sync.Mutex
	f    *os.File
	data []byte
}

func (c *capture) open() (err error) {
	c.f, err = os.CreateTemp("", "runtimeapi-output-")
	return err
}

func (c *capture) bytes() []byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.f == nil {
		return bytes.Clone(c.data)
	}
	b, _ := c.read()
	return b
}

func (c *capture) read() ([]byte, error) {
	fi, err := c.f.Stat()
	if err != nil {
		return nil, err
	}
	return io.ReadAll(io.NewSectionReader(c.f, 0, fi.Size()))
}

func (c *capture) finish() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.f == nil {
		return
	}
	c.data, _ = c.read()
	c.f.Close()
	os.Remove(c.f.Name())
	c.f = nil
}
