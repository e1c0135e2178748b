// Command pin is the Lambda function behind GET /pins/{id} (check a PIN, collect its token).
package main

import (
	"github.com/plexauth/plexauth/internal/endpoint"
	"github.com/plexauth/plexauth/internal/lambdamain"
)

func main() { lambdamain.Start(endpoint.CheckPin) }
