// Command signin is the Lambda function behind POST /signin.
package main

import (
	"github.com/plexauth/plexauth/internal/api"
	"github.com/plexauth/plexauth/internal/config"
	"github.com/plexauth/plexauth/internal/endpoint"
	"github.com/plexauth/plexauth/internal/lambdamain"
	"github.com/plexauth/plexauth/internal/signinguard"
)

func main() { lambdamain.RunWithConfig(lambdamain.PlexTVHost, newHandler, lambdamain.Options{}) }

// newHandler gives the endpoint its guard, with the configured limits.
func newHandler(c endpoint.SignInClient, cfg config.Config) *api.Handler {
	return endpoint.SignIn(c, signinguard.New(cfg.SignIn))
}
