// Command naive-signin is functions/signin without the cold-start overlap: its
// first request fetches the secret, then connects to Plex, then calls. Only
// the cold start benchmark builds it.
package main

import (
	"github.com/plexauth/plexauth/internal/api"
	"github.com/plexauth/plexauth/internal/config"
	"github.com/plexauth/plexauth/internal/endpoint"
	"github.com/plexauth/plexauth/internal/lambdamain"
	"github.com/plexauth/plexauth/internal/signinguard"
)

func main() {
	lambdamain.RunWithConfig(lambdamain.PlexTVHost, func(c endpoint.SignInClient, cfg config.Config) *api.Handler {
		return endpoint.SignIn(c, signinguard.New(cfg.SignIn))
	}, lambdamain.Options{NoOverlap: true})
}
