package deploytest

import (
	"fmt"
	"path/filepath"
	"slices"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/plexauth/plexauth/internal/config"
	"github.com/plexauth/plexauth/internal/keepalive"
)

const (
	keepAliveTopic = "KeepAliveAlarmTopic"
	emailCondition = "HasAlarmEmail"
)

// TestTemplateSchedule: each scheduled job runs on the KeepAliveSchedule
// parameter and nothing else, and no API function has a schedule.
func TestTemplateSchedule(t *testing.T) {
	tpl := loadTemplate(t)
	for _, f := range wantFunctions {
		t.Run(f.id, func(t *testing.T) {
			evs := asMap(asMap(function(t, tpl, f.id)["Properties"])["Events"])
			var schedules []map[string]any
			for _, name := range sortedKeys(evs) {
				if ev := asMap(evs[name]); ev["Type"] == "Schedule" {
					schedules = append(schedules, asMap(ev["Properties"]))
				} else if f.job != nil {
					t.Errorf("event %s has Type %v: a scheduled job is not behind the API", name, ev["Type"])
				}
			}
			if f.job == nil {
				if len(schedules) != 0 {
					t.Errorf("%d schedules on a function behind the API", len(schedules))
				}
				return
			}
			if len(schedules) != 1 {
				t.Fatalf("%d Schedule events, want 1", len(schedules))
			}
			p := schedules[0]
			if !isRef(p["Schedule"], "KeepAliveSchedule") {
				t.Errorf("Schedule = %v, want !Ref KeepAliveSchedule", p["Schedule"])
			}
			if e, ok := p["Enabled"]; ok && e != true {
				t.Errorf("Enabled = %v, want true", e)
			}
		})
	}
}

// TestTemplateAlarms: the alarms read the metrics internal/keepalive writes
// (names, namespace, dimensions from the Go code), with the missing-data
// rule each needs, and notify the topic.
func TestTemplateAlarms(t *testing.T) {
	tpl := loadTemplate(t)
	res := asMap(tpl["Resources"])
	tests := []struct {
		metric      string
		threshold   any // a number, or the parameter it must !Ref
		missingData string
	}{
		// A run that stopped (or plex.tv unable to say) must alarm too.
		{keepalive.MetricTokenValid, 1, "breaching"},
		{keepalive.MetricServerReachable, 1, "breaching"},
		// A classic token reports no hours left.
		{keepalive.MetricTokenHoursLeft, ref("TokenExpiryWarningHours"), "notBreaching"},
	}
	alarms := resourcesOfType(tpl, "AWS::CloudWatch::Alarm")
	if len(alarms) != len(tests) {
		t.Errorf("alarms = %v, want %d", alarms, len(tests))
	}
	for _, tt := range tests {
		t.Run(tt.metric, func(t *testing.T) {
			var p map[string]any
			for _, id := range alarms {
				if q := asMap(asMap(res[id])["Properties"]); q["MetricName"] == tt.metric {
					if p != nil {
						t.Fatalf("two alarms on %s", tt.metric)
					}
					p = q
				}
			}
			if p == nil {
				t.Fatalf("no alarm on metric %s", tt.metric)
			}
			if !isRef(p["Namespace"], "MetricsNamespace") {
				t.Errorf("Namespace = %v, want !Ref MetricsNamespace", p["Namespace"])
			}
			var dims []string
			for _, d := range asList(p["Dimensions"]) {
				dims = append(dims, fmt.Sprintf("%v=%v", asMap(d)["Name"], asMap(d)["Value"]))
			}
			var want []string
			for k, v := range keepalive.KeepAlive.Dimensions() {
				want = append(want, k+"="+v)
			}
			slices.Sort(dims)
			slices.Sort(want)
			if !slices.Equal(dims, want) {
				t.Errorf("Dimensions = %v, want the keep-alive's %v", dims, want)
			}
			// Minimum: one failed run in the window is enough.
			if p["Statistic"] != "Minimum" || p["ComparisonOperator"] != "LessThanThreshold" {
				t.Errorf("Statistic %v, ComparisonOperator %v; want Minimum, LessThanThreshold", p["Statistic"], p["ComparisonOperator"])
			}
			if fmt.Sprint(p["Threshold"]) != fmt.Sprint(tt.threshold) {
				t.Errorf("Threshold = %v, want %v", p["Threshold"], tt.threshold)
			}
			if p["TreatMissingData"] != tt.missingData {
				t.Errorf("TreatMissingData = %v, want %s", p["TreatMissingData"], tt.missingData)
			}
			// Two hours: the longest KeepAliveSchedule allows (an hour)
			// leaves at least one run in every window, even a late one.
			if period, ok := p["Period"].(int); !ok || period*asInt(p["EvaluationPeriods"]) != 7200 {
				t.Errorf("Period %v x EvaluationPeriods %v, want a two-hour window", p["Period"], p["EvaluationPeriods"])
			}
			for _, key := range []string{"AlarmActions", "OKActions"} {
				if l := asList(p[key]); len(l) != 1 || !isRef(l[0], keepAliveTopic) {
					t.Errorf("%s = %v, want [!Ref %s]", key, p[key], keepAliveTopic)
				}
			}
		})
	}
}

func asInt(v any) int {
	i, _ := v.(int)
	return i
}

// TestTemplateAlarmTopic: one topic, with an e-mail subscription only when
// AlarmEmail is set, and its ARN as an output.
func TestTemplateAlarmTopic(t *testing.T) {
	tpl := loadTemplate(t)
	if got := resourcesOfType(tpl, "AWS::SNS::Topic"); !slices.Equal(got, []string{keepAliveTopic}) {
		t.Errorf("topics = %v, want [%s]", got, keepAliveTopic)
	}
	subs := resourcesOfType(tpl, "AWS::SNS::Subscription")
	if len(subs) != 1 {
		t.Fatalf("subscriptions = %v, want one", subs)
	}
	sub := asMap(asMap(tpl["Resources"])[subs[0]])
	if sub["Condition"] != emailCondition {
		t.Errorf("%s: Condition = %v, want %s", subs[0], sub["Condition"], emailCondition)
	}
	p := asMap(sub["Properties"])
	if !isRef(p["TopicArn"], keepAliveTopic) || p["Protocol"] != "email" || !isRef(p["Endpoint"], "AlarmEmail") {
		t.Errorf("%s: %v, want TopicArn !Ref %s, Protocol email, Endpoint !Ref AlarmEmail", subs[0], p, keepAliveTopic)
	}
	want := map[string]any{"Fn::Not": []any{map[string]any{"Fn::Equals": []any{ref("AlarmEmail"), ""}}}}
	if got := asMap(tpl["Conditions"])[emailCondition]; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("condition %s = %v, want %v", emailCondition, got, want)
	}
	var found bool
	for _, o := range asMap(tpl["Outputs"]) {
		found = found || isRef(asMap(o)["Value"], keepAliveTopic)
	}
	if !found {
		t.Errorf("no output gives the topic (!Ref %s)", keepAliveTopic)
	}
}

// TestTemplateKeepAliveDefaults: the template's defaults are the code's own.
func TestTemplateKeepAliveDefaults(t *testing.T) {
	params := asMap(loadTemplate(t)["Parameters"])
	over := map[string]string{
		config.EnvSecretARN: "plexauth", config.EnvClientIdentifier: "plexauth-test",
		config.EnvMetricsNamespace:   fmt.Sprint(asMap(params["MetricsNamespace"])["Default"]),
		config.EnvTokenExpiryWarning: fmt.Sprint(asMap(params["TokenExpiryWarningHours"])["Default"]),
	}
	c, err := config.Load(func(k string) string { return over[k] }, config.Needs{})
	if err != nil {
		t.Fatal(err)
	}
	if c.MetricsNamespace != config.DefaultMetricsNamespace || c.TokenExpiryWarning != config.DefaultTokenExpiryWarning {
		t.Errorf("template defaults give %q, %v; the code's are %q, %v",
			c.MetricsNamespace, c.TokenExpiryWarning, config.DefaultMetricsNamespace, config.DefaultTokenExpiryWarning)
	}
}

// TestScheduledEvents: each job's events/<name>.json is the scheduled
// EventBridge event its function receives.
func TestScheduledEvents(t *testing.T) {
	for _, j := range keepalive.All {
		t.Run(j.Name+".json", func(t *testing.T) {
			var e events.EventBridgeEvent
			decodeStrict(t, filepath.Join(repoRoot(t), "events", j.Name+".json"), &e)
			if e.Source != "aws.events" || e.DetailType != "Scheduled Event" || e.Version != "0" {
				t.Errorf("source %q, detail-type %q, version %q; want aws.events, Scheduled Event, 0", e.Source, e.DetailType, e.Version)
			}
			if e.ID == "" || e.AccountID == "" || e.Region == "" || e.Time.IsZero() || len(e.Resources) != 1 {
				t.Errorf("event %+v lacks id, account, region, time or its one rule ARN", e)
			}
			if string(e.Detail) != "{}" {
				t.Errorf("detail = %s, want {}", e.Detail)
			}
		})
	}
}
