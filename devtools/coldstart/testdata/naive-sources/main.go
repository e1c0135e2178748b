// Command naive-sources is functions/sources without the cold-start overlap: its
// first request fetches the secret, then connects to Plex, then calls. Only
// the cold start benchmark builds it.
package main

import (
	"github.com/plexauth/plexauth/internal/endpoint"
	"github.com/plexauth/plexauth/internal/lambdamain"
)

func main() { lambdamain.Start(endpoint.Sources, lambdamain.NoOverlap()) }
