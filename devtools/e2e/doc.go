// Package e2e holds the end-to-end tests of the Lambda functions. Each
// test builds a function's real bootstrap (-tags lambda.norpc) for the host
// and drives it through the Lambda Runtime API emulator (devtools/runtimeapi),
// with its secret in the in-process Secrets Manager stand-in
// (internal/secret/secrettest) and Plex in the simulator (pkg/plex/plextest),
// all on 127.0.0.1.
//
// The package has no code besides this file: everything is in its tests.
package e2e
