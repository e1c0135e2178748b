// Command sdkfloor-construct is hello plus the AWS SDK configuration and a
// Secrets Manager client that is never called. The linker drops the client's
// operations, so this floor is lower than any real function can reach.
package main

import (
	"context"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
)

var client *secretsmanager.Client

func main() {
	cfg, err := config.LoadDefaultConfig(context.Background())
	if err != nil {
		panic(err)
	}
	client = secretsmanager.NewFromConfig(cfg)
	lambda.Start(func() (string, error) { return "hello", nil })
}
