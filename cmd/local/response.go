package main

import (
	"encoding/base64"
	"net/http"

	"github.com/aws/aws-lambda-go/events"
)

// maxBody is API Gateway's payload limit; the handlers enforce their own,
// smaller one on what gets through.
const maxBody = 10 << 20

// writeResponse sends the handler's answer as API Gateway would.
func writeResponse(w http.ResponseWriter, resp events.APIGatewayV2HTTPResponse) {
	h := w.Header()
	for k, v := range resp.Headers {
		h.Set(k, v)
	}
	for k, vs := range resp.MultiValueHeaders {
		for _, v := range vs {
			h.Add(k, v)
		}
	}
	for _, c := range resp.Cookies {
		h.Add("Set-Cookie", c)
	}
	body := []byte(resp.Body)
	if resp.IsBase64Encoded {
		var err error
		if body, err = base64.StdEncoding.DecodeString(resp.Body); err != nil {
			writeMessage(w, http.StatusInternalServerError, "Internal Server Error")
			return
		}
	}
	status := resp.StatusCode
	if status == 0 {
		status = http.StatusOK
	}
	w.WriteHeader(status)
	w.Write(body)
}

// writeMessage is API Gateway's own error shape, as in {"message":"Not Found"},
// with the no-store every answer here carries.
func writeMessage(w http.ResponseWriter, status int, message string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write([]byte(`{"message":"` + message + `"}`))
}
