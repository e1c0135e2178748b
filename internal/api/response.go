package api

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"

	"github.com/aws/aws-lambda-go/events"
)

// errorBody is the error envelope: {"error":{"code","message","requestId"[,"plexCode"]}}.
type errorBody struct {
	Error struct {
		Code      string `json:"code"`
		Message   string `json:"message"`
		RequestID string `json:"requestId"`
		PlexCode  int    `json:"plexCode,omitempty"`
	} `json:"error"`
}

// headers every response carries: answers hold tokens, so nothing may cache them.
func headers() map[string]string {
	return map[string]string{
		"Content-Type":           "application/json",
		"Cache-Control":          "no-store",
		"X-Content-Type-Options": "nosniff",
	}
}

// Created is an Op's answer v sent with 201 Created instead of 200.
func Created(v any) any { return created{v} }

type created struct{ v any }

func success(v any) (events.APIGatewayV2HTTPResponse, error) {
	status := http.StatusOK
	if c, ok := v.(created); ok {
		status, v = http.StatusCreated, c.v
	}
	body, err := encode(v)
	if err != nil {
		return events.APIGatewayV2HTTPResponse{}, internalError(err)
	}
	return events.APIGatewayV2HTTPResponse{StatusCode: status, Headers: headers(), Body: body}, nil
}

// encode is every answer's JSON, successes and errors alike. No HTML
// escaping: answers are for programs, not pages, so a PIN's authUrl reads as
// itself ("&", not "\u0026") and so does a message's "<key>".
func encode(v any) (string, error) {
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return "", err
	}
	return strings.TrimSuffix(b.String(), "\n"), nil // Encode ends the value with a newline
}

func failure(e *Error, requestID string) events.APIGatewayV2HTTPResponse {
	var body errorBody
	body.Error.Code = e.Code
	body.Error.Message = e.Message
	body.Error.RequestID = requestID
	body.Error.PlexCode = e.PlexCode
	b, _ := encode(body) // strings and an int: cannot fail

	h := headers()
	for k, v := range e.header {
		h[k] = v
	}
	if e.RetryAfter > 0 {
		h["Retry-After"] = strconv.FormatInt(retryAfterSeconds(e.RetryAfter), 10)
	}
	return events.APIGatewayV2HTTPResponse{StatusCode: e.Status, Headers: h, Body: b}
}
