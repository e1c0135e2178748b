// Command keepalive is the scheduled Lambda function that keeps the admin
// token alive and reports, as CloudWatch metrics, whether it and the Plex
// Media Server still work.
package main

import (
	"github.com/plexauth/plexauth/internal/keepalive"
	"github.com/plexauth/plexauth/internal/lambdamain"
)

func main() { lambdamain.StartScheduled(keepalive.KeepAlive) }
