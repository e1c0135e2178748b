package lambdamain

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/plexauth/plexauth/internal/api/apitest"
	"github.com/plexauth/plexauth/internal/config"
	"github.com/plexauth/plexauth/internal/keepalive"
	"github.com/plexauth/plexauth/pkg/plex/plextest"
)

// TestSetupScheduled wires the keep-alive like a cold start: the real store
// through the SDK, the real client, the settings from the environment; its
// line goes to the function's log with the configured namespace.
func TestSetupScheduled(t *testing.T) {
	_, arn, sim := standIns(t)
	base := map[string]string{
		config.EnvServerURL: sim.URL, config.EnvPlexTVURL: sim.URL, config.EnvSecretARN: arn,
		config.EnvClientIdentifier: "plexauth-test", config.EnvMetricsNamespace: "plexauth-setup",
	}

	logs := &apitest.LogBuffer{}
	r, err := SetupScheduled(t.Context(), Env{Log: logs, Getenv: env(base)}, keepalive.KeepAlive, NoOverlap())
	if err != nil {
		t.Fatal(err)
	}
	res, err := r.Handle(t.Context(), events.EventBridgeEvent{DetailType: "Scheduled Event"})
	if err != nil || res.TokenValid == nil || !*res.TokenValid || !res.ServerReachable {
		t.Fatalf("Handle = %+v, %v", res, err)
	}
	var line struct {
		AWS struct{ CloudWatchMetrics []struct{ Namespace string } } `json:"_aws"`
	}
	if err := json.Unmarshal([]byte(logs.String()), &line); err != nil || len(line.AWS.CloudWatchMetrics) != 1 || line.AWS.CloudWatchMetrics[0].Namespace != "plexauth-setup" {
		t.Errorf("log %q: want one EMF line in namespace plexauth-setup (%v)", logs.String(), err)
	}
	if strings.Contains(logs.String(), plextest.AdminToken) {
		t.Error("log holds the admin token")
	}

	// The job asks the server who it is: without its URL, init fails naming it.
	delete(base, config.EnvServerURL)
	_, err = SetupScheduled(t.Context(), Env{Log: logs, Getenv: env(base)}, keepalive.KeepAlive, NoOverlap())
	var ce *config.Error
	if !errors.As(err, &ce) || ce.Setting != config.EnvServerURL {
		t.Errorf("error %v, want one naming %s", err, config.EnvServerURL)
	}
}
