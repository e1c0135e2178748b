// Package endpoint holds the plexauth endpoints, each declared once as a
// Route: its path, methods, scope, Plex host and how its Op is built. The
// Lambda functions (functions/*), the local server (cmd/local), the secret's
// scope names and the template and README checks all read these declarations.
package endpoint
