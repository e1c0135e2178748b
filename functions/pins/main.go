// Command pins is the Lambda function behind POST /pins (create a PIN).
package main

import (
	"github.com/plexauth/plexauth/internal/endpoint"
	"github.com/plexauth/plexauth/internal/lambdamain"
)

func main() { lambdamain.Start(endpoint.CreatePin) }
