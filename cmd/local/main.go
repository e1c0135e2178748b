// Command local serves every plexauth endpoint over plain HTTP on
// 127.0.0.1:3000, the address `sam local start-api` uses, without Docker:
// each request becomes the API Gateway HTTP API (payload 2.0) event and goes
// to the very handlers the Lambda functions run.
//
//	go run ./cmd/local            # embedded Plex simulator, in-memory secret
//	go run ./cmd/local -h         # flags for a real Plex and Secrets Manager
//
// It prints the caller key and one ready curl line per endpoint.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	switch err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); {
	case errors.Is(err, flag.ErrHelp):
	case err != nil:
		fmt.Fprintln(os.Stderr, "local:", err)
		os.Exit(1)
	}
}
