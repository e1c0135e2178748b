package api_test

import (
	"context"
	"testing"

	"github.com/plexauth/plexauth/internal/api"
	"github.com/plexauth/plexauth/internal/api/apitest"
)

// TestNewLogger: the lines of lambdacontext's handler, level from Lambda's
// AWS_LAMBDA_LOG_LEVEL (LOG_LEVEL is not ours: sam local's emulator owns it).
func TestNewLogger(t *testing.T) {
	tests := []struct {
		env       map[string]string
		wantLevel []string // levels that get through, of DEBUG INFO WARN ERROR
	}{
		{nil, []string{"INFO", "WARN", "ERROR"}},
		{map[string]string{"AWS_LAMBDA_LOG_LEVEL": "TRACE"}, []string{"DEBUG", "INFO", "WARN", "ERROR"}},
		{map[string]string{"AWS_LAMBDA_LOG_LEVEL": "DEBUG"}, []string{"DEBUG", "INFO", "WARN", "ERROR"}},
		{map[string]string{"AWS_LAMBDA_LOG_LEVEL": "WARN"}, []string{"WARN", "ERROR"}},
		{map[string]string{"AWS_LAMBDA_LOG_LEVEL": "ERROR"}, []string{"ERROR"}},
		{map[string]string{"AWS_LAMBDA_LOG_LEVEL": "FATAL"}, []string{"ERROR"}},
		{map[string]string{"AWS_LAMBDA_LOG_LEVEL": "bogus"}, []string{"INFO", "WARN", "ERROR"}},
		{map[string]string{"LOG_LEVEL": "debug"}, []string{"INFO", "WARN", "ERROR"}},
	}
	for _, tt := range tests {
		logs := &apitest.LogBuffer{}
		logger := api.NewLogger(logs, func(k string) string { return tt.env[k] })
		ctx := apitest.LambdaContext(t.Context(), "lambda-7")
		logger.DebugContext(ctx, "DEBUG")
		logger.InfoContext(ctx, "INFO")
		logger.WarnContext(ctx, "WARN")
		logger.ErrorContext(ctx, "ERROR")
		lines := logs.Lines(t)
		var got []string
		for _, l := range lines {
			got = append(got, l["message"].(string))
			if l["level"] != l["message"] || l["requestId"] != "lambda-7" || l["timestamp"] == nil || l["msg"] != nil || l["time"] != nil {
				t.Errorf("%v: line %v, want Lambda's fields (timestamp, level, message, requestId)", tt.env, l)
			}
		}
		if len(got) != len(tt.wantLevel) || (len(got) > 0 && got[0] != tt.wantLevel[0]) {
			t.Errorf("%v: logged %v, want %v", tt.env, got, tt.wantLevel)
		}
	}
	// Outside an invocation (init, warm-up) a line has no request id.
	logs := &apitest.LogBuffer{}
	api.NewLogger(logs, func(string) string { return "" }).With("k", "v").InfoContext(context.Background(), "init")
	if l := logs.Lines(t)[0]; l["requestId"] != nil || l["k"] != "v" {
		t.Errorf("init line %v, want k=v and no requestId", l)
	}
}
