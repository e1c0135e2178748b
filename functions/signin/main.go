// Command signin is the Lambda function behind POST /signin.
package main

import (
	"github.com/plexauth/plexauth/internal/endpoint"
	"github.com/plexauth/plexauth/internal/lambdamain"
)

func main() { lambdamain.Start(endpoint.SignIn) }
