// Command plexsim serves the plextest Plex simulator (a fake Plex Media
// Server and plex.tv on one address) for local runs:
//
//	go run ./cmd/plexsim -addr 127.0.0.1:32400
//
// Point PLEX_SERVER_URL and PLEX_TV_URL at the printed URL. The fixtures it
// prints are the fake ones in package plextest.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/plexauth/plexauth/pkg/plex/plextest"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	switch err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); {
	case errors.Is(err, flag.ErrHelp):
	case err != nil:
		fmt.Fprintln(os.Stderr, "plexsim:", err)
		os.Exit(1)
	}
}

// run serves until ctx ends, then shuts down gracefully. The fixtures go to
// out, flag errors and usage to errOut.
func run(ctx context.Context, args []string, out, errOut io.Writer) error {
	fs := flag.NewFlagSet("plexsim", flag.ContinueOnError)
	fs.SetOutput(errOut)
	addr := fs.String("addr", "127.0.0.1:32400", "address to listen on")
	if err := fs.Parse(args); err != nil {
		return err
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: plextest.New(), ReadHeaderTimeout: 10 * time.Second}
	printFixtures(out, "http://"+ln.Addr().String())

	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	select {
	case err := <-served:
		return err
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdown); err != nil {
		return err
	}
	if err := <-served; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

func printFixtures(out io.Writer, url string) {
	fmt.Fprintf(out, "plexsim listening on %s (Plex Media Server and plex.tv routes)\n", url)
	rows := [][2]string{
		{"admin token", plextest.AdminToken},
		{"sources", plextest.ServerSource + " " + plextest.ProviderSource},
		{"user", plextest.UserLogin + " / " + plextest.UserEmail + " password " + plextest.UserPassword + " token " + plextest.UserToken},
		{"two-factor user", plextest.TwoFactorLogin + " / " + plextest.TwoFactorEmail + " password " + plextest.TwoFactorPassword +
			" code " + plextest.TwoFactorCode + " token " + plextest.TwoFactorToken},
	}
	for _, r := range rows {
		fmt.Fprintf(out, "  %-16s %s\n", r[0]+":", r[1])
	}
}
