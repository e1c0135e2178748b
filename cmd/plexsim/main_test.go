package main

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/plexauth/plexauth/pkg/plex/plextest"
)

// TestRun: plexsim prints its URL and fixtures, serves the simulator there,
// and returns cleanly when its context ends (as on SIGINT or SIGTERM).
func TestRun(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		err := run(ctx, []string{"-addr", "127.0.0.1:0"}, pw, io.Discard)
		pw.Close()
		done <- err
	}()

	lines := bufio.NewScanner(pr)
	if !lines.Scan() {
		t.Fatalf("no output: %v", <-done)
	}
	first := lines.Text()
	url, _, ok := strings.Cut(strings.TrimPrefix(first, "plexsim listening on "), " ")
	if !ok || !strings.HasPrefix(url, "http://127.0.0.1:") {
		t.Fatalf("first line %q", first)
	}
	var printed strings.Builder
	for lines.Scan() && printed.Len() < 1<<16 {
		printed.WriteString(lines.Text() + "\n")
		if strings.Contains(lines.Text(), "two-factor user") {
			break
		}
	}
	go io.Copy(io.Discard, pr) // nothing else is expected; never block the writer

	for _, want := range []string{plextest.AdminToken, plextest.UserToken, plextest.TwoFactorToken, plextest.ServerSource} {
		if !strings.Contains(printed.String(), want) {
			t.Errorf("fixtures printed without %q:\n%s", want, printed.String())
		}
	}

	hc := &http.Client{Transport: &http.Transport{}}
	defer hc.CloseIdleConnections()
	tests := []struct {
		name, method, path, token string
		status                    int
	}{
		{"warm-up", "HEAD", "/", "", 200},
		{"server route", "POST", "/security/token?type=delegation&scope=all", plextest.AdminToken, 200},
		{"plex.tv route", "GET", "/api/v2/user", plextest.UserToken, 200},
		{"refused", "GET", "/api/v2/user", "nope", 401},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := http.NewRequest(tt.method, url+tt.path, nil)
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("X-Plex-Client-Identifier", "plexsim-test")
			req.Header.Set("X-Plex-Token", tt.token)
			resp, err := hc.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tt.status {
				t.Errorf("status = %d, want %d", resp.StatusCode, tt.status)
			}
		})
	}

	cancel()
	if err := <-done; err != nil {
		t.Errorf("run after cancel: %v", err)
	}
	if resp, err := hc.Get(url + "/"); err == nil {
		resp.Body.Close()
		t.Error("still serving after shutdown")
	}
}

func TestRunErrors(t *testing.T) {
	tests := []struct {
		name string
		args []string
	}{
		{"unknown flag", []string{"-nope"}},
		{"bad address", []string{"-addr", "127.0.0.1:notaport"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := run(context.Background(), tt.args, io.Discard, io.Discard); err == nil {
				t.Error("run succeeded")
			}
		})
	}
}
