// Command hello is the smallest aws-lambda-go function: the size and cold
// start floor of the Lambda runtime alone.
package main

import "github.com/aws/aws-lambda-go/lambda"

func main() {
	lambda.Start(func() (string, error) { return "hello", nil })
}
