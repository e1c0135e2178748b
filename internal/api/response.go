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
	// No HTML escaping: answers are JSON for programs, not pages, and a URL
	// such as a PIN's authUrl should read as itself ("&", not "\u0026").
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return events.APIGatewayV2HTTPResponse{}, internalError(err)
	}
	body := strings.TrimSuffix(b.String(), "\n") // Encode ends the value with a newline
	return events.APIGatewayV2HTTPResponse{StatusCode: status, Headers: headers(), Body: body}, nil
}

func failure(e *Error, requestID string) events.APIGatewayV2HTTPResponse {
	var body errorBody
	body.Error.Code = e.Code
	body.Error.Message = e.Message
	body.Error.RequestID = requestID
	body.Error.PlexCode = e.PlexCode
	b, _ := json.Marshal(body) // strings and an int: cannot fail

	h := headers()
	for k, v := range e.header {
		h[k] = v
	}
	if e.RetryAfter > 0 {
		h["Retry-After"] = strconv.FormatInt(retryAfterSeconds(e.RetryAfter), 10)
	}
	return events.APIGatewayV2HTTPResponse{StatusCode: e.Status, Headers: h, Body: string(b)}
}
