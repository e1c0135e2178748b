// Command sources is the Lambda function behind GET and POST /sources.
package main

import (
	"github.com/plexauth/plexauth/internal/endpoint"
	"github.com/plexauth/plexauth/internal/lambdamain"
)

func main() { lambdamain.Start(endpoint.Sources) }
