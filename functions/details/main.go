// Command details is the Lambda function behind GET and POST /token-details.
package main

import (
	"github.com/plexauth/plexauth/internal/endpoint"
	"github.com/plexauth/plexauth/internal/lambdamain"
)

func main() { lambdamain.Start(endpoint.Details) }
