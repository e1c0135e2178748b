package coldstart_test

import (
	"bytes"
	"crypto/rand"
	"io"
	"net"
	"testing"
	"time"

	"github.com/plexauth/plexauth/devtools/coldstart"
)

// echoServer answers every connection with what it reads.
func echoServer(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() { defer c.Close(); io.Copy(c, c) }()
		}
	}()
	return ln.Addr().String()
}

// TestProxy checks that bytes pass intact both ways and that the delay is
// applied: a first exchange costs at least the handshake's round trip plus
// its own. The bound is a correctness check of the model, not a speed target.
func TestProxy(t *testing.T) {
	tests := []struct {
		name string
		rtt  time.Duration
		size int
	}{
		{"no delay, small", 0, 16},
		{"delay, small", 10 * time.Millisecond, 16},
		{"delay, larger than a read buffer", 10 * time.Millisecond, 1 << 20},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := coldstart.NewProxy(echoServer(t), tt.rtt)
			if err != nil {
				t.Fatal(err)
			}
			defer p.Close()
			data := make([]byte, tt.size)
			rand.Read(data)
			start := time.Now()
			c, err := net.Dial("tcp", p.Addr)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			go func() {
				c.Write(data)
				c.(*net.TCPConn).CloseWrite()
			}()
			got, err := io.ReadAll(c)
			took := time.Since(start)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, data) {
				t.Fatalf("echo through the proxy: got %d bytes, want the %d sent", len(got), len(data))
			}
			if took < 2*tt.rtt {
				t.Errorf("first exchange took %v, want at least 2 RTT (%v)", took, 2*tt.rtt)
			}
			if n := p.Accepted(); n != 1 {
				t.Errorf("accepted %d connections, want 1", n)
			}
		})
	}
}

// TestProxyUpstreamDown: a client of a proxy whose upstream is gone sees
// the connection closed, not a hang.
func TestProxyUpstreamDown(t *testing.T) {
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := ln.Addr().String()
	ln.Close()
	p, err := coldstart.NewProxy(addr, time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	c, err := net.Dial("tcp", p.Addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := c.Read(make([]byte, 1)); err == nil {
		t.Error("read succeeded through a proxy with no upstream")
	}
}
