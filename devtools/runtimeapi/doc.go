// Package runtimeapi emulates the AWS Lambda Runtime API on 127.0.0.1 so that tests, benchmarks
// and local tools can drive a real bootstrap binary the way Lambda does: the runtime long-polls
// /next, receives one event at a time with its request id, deadline, function ARN and trace id,
// and posts back a response, a function error or an init error.
//
// A typical test:
//
//	bin := runtimeapi.Build(t, "functions/transient")
//	srv, proc := runtimeapi.Run(t, bin, "PLEX_SERVER_URL="+plex.URL)
//	res, err := srv.Invoke(ctx, event, 3*time.Second)
//	// res.Payload, res.Err (a function error), proc.Output() (the function's logs)
//
// The package is for tests and benchmarks: Build and Run (build.go) import "testing". Server and
// Start do not need a testing.TB, so a local tool can use them to run a function.
package runtimeapi
