// Package api is what the Lambda functions behind the API share between API Gateway and
// their one Plex call: caller authentication, request decoding and limits, the
// JSON responses and error envelope, the mapping of Plex and secret failures to
// statuses, the admin-token rotation retry, deadlines and the request log line.
//
// A function describes its route as a Handler (path, methods and an Op) and
// hands Handler.Handle to lambda.Start. Handle never returns a Go error and
// never panics, so API Gateway always receives a well-formed answer.
package api
