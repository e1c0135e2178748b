// Command background-transient is functions/transient with the cold-start
// overlap left running in the background once init is over (the design
// production replaced: under Lambda's CPU share after init, the handshakes
// still under way run at that share). Only the cold start benchmark builds it.
package main

import (
	"github.com/plexauth/plexauth/internal/endpoint"
	"github.com/plexauth/plexauth/internal/lambdamain"
)

func main() { lambdamain.Start(endpoint.Transient, lambdamain.WarmInBackground()) }
