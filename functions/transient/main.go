// Command transient is the Lambda function behind POST /transient-token.
package main

import (
	"github.com/plexauth/plexauth/internal/endpoint"
	"github.com/plexauth/plexauth/internal/lambdamain"
)

func main() { lambdamain.Start(endpoint.Transient) }
