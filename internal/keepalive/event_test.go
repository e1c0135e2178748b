package keepalive_test

import (
	"encoding/json"

	"github.com/aws/aws-lambda-go/events"
)

func eventBridge() events.EventBridgeEvent {
	return events.EventBridgeEvent{Version: "0", ID: "1", DetailType: "Scheduled Event", Source: "aws.events", Detail: json.RawMessage(`{}`)}
}
