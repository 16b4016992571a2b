package schemas

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/popinbridge/bridge/internal/event"
)

const (
	br = event.SourceBrowser
	ps = event.SourcePopinServer
)

func TestValidatePayloads(t *testing.T) {
	tests := []struct {
		source  event.Source
		name    string
		data    string
		wantErr string // "" = valid; else the full error text
	}{
		// nudges
		{br, "nudge_show", `{"uid":"abc"}`, ""},
		{br, "nudge_show", `{"uid":"abc","brand_new_field":1}`, ""},
		{br, "nudge_show", `{}`, "data/uid: required"},
		{br, "nudge_show", ``, "data/uid: required"},
		{br, "nudge_open", `{"uid":12}`, "data/uid: want string, got number"},
		{br, "nudge_close", `[]`, "data: want object, got array"},
		{br, "nudge_close", `null`, "data: want object, got null"},
		{br, "nudge_close", `{"uid":"a"} x`, "data: invalid JSON: data after the JSON value"},
		// permissions
		{br, "popin_permission_given", `{"uid":"a","audio":true,"video":false}`, ""},
		{br, "popin_permission_given", `{"uid":"a","audio":true}`, ""},
		{br, "popin_permission_given", `{"uid":"a","audio":"true"}`, "data/audio: want boolean, got string"},
		{br, "popin_permission_denied", `{"uid":"a","audio":false,"video":false}`, ""},
		{br, "popin_permission_denied", `{"uid":"a","video":1}`, "data/video: want boolean, got number"},
		// expert busy and its alias
		{br, "popin_expert_busy", `{"uid":"a"}`, ""},
		{br, "popin_call_missed", `{"uid":"a"}`, ""},
		{br, "popin_call_missed", `{}`, "data/uid: required"},
		// rating
		{br, "popin_rating_done", `{"uid":"a","rating":4,"comment":"ok"}`, ""},
		{br, "popin_rating_done", `{"uid":"a","rating":"4"}`, ""},
		{br, "popin_rating_done", `{"uid":"a","rating":5.0,"comment":null}`, ""},
		{br, "popin_rating_done", `{"uid":"a","rating":4.5}`, "data/rating: want integer or string, got number"},
		{br, "popin_rating_done", `{"uid":"a","rating":true}`, "data/rating: want integer or string, got boolean"},
		{br, "popin_rating_done", `{"uid":"a","rating":"four"}`, `data/rating: does not match ^\s*-?[0-9]+\s*$`},
		{br, "popin_rating_done", `{"uid":"a"}`, "data/rating: required"},
		{br, "popin_rating_done", `{}`, "data/uid: required (and 1 more)"},
		// schedule
		{br, "popin_schedule_created", `{"uid":"a","timezone":"Asia/Kolkata","time":"09:30 PM"}`, ""},
		{br, "popin_schedule_created", `{"uid":"a","time":1760000000}`, "data/time: want string or null, got number"},
		// call end
		{br, "popin_call_end", `{"uid":"a","callId":"c1","invited":true}`, ""},
		{br, "popin_call_end", `{"uid":"a","callId":991}`, ""},
		{br, "popin_call_end", `{"uid":"a","invited":"no"}`, "data/invited: want boolean, got string"},
		// captured: everything optional
		{br, "popin_captured", `{}`, ""},
		{br, "popin_captured", `{"name":"Asha","country":"India","mobile":"98765"}`, ""},
		{br, "popin_captured", `{"email":null}`, ""},
		{br, "popin_captured", `{"mobile":9876543210}`, "data/mobile: want string or null, got number"},
		// proposals
		{br, "popin_screen_change", `{"uid":"a","screen":"any screen at all"}`, ""},
		{br, "popin_screen_change", `{"uid":"a"}`, "data/screen: required"},
		{br, "popin_auto_captured", `{"uid":"a","captured":{"name":"J","mobile":"1"}}`, ""},
		{br, "popin_auto_captured", `{"captured":"J"}`, "data/captured: want object or null, got string"},
		{br, "popin_widget_open", `{}`, ""},
		{br, "popin_widget_close", `{"uid":"a"}`, ""},
		{br, "popin_widget_close", `{"uid":false}`, "data/uid: want string, got boolean"},

		// server webhooks
		{ps, "popin_call_successful", `{"event":"popin_call_successful","user_id":"3ab7","email":null,"country_code":"+91","timestamp":"x","properties":{"call_duration":185,"meta":[]}}`, ""},
		{ps, "popin_call_successful", `{"event":"popin_call_missed"}`, `data/event: value must be 'popin_call_successful'`},
		{ps, "popin_call_successful", `{"user_id":"a"}`, "data/event: required"},
		{ps, "popin_call_successful", `{"event":"popin_call_successful","properties":"x"}`, "data/properties: want object or null, got string"},
		{ps, "popin_call_missed", `{"event":"popin_call_missed","properties":{"customer_name":"A","url":"u","product":{"id":1}}}`, ""},
		{ps, "popin_call_abandoned", `{"event":"popin_call_abandoned","properties":{"meta":{"utm_source":"fb"}}}`, ""},
		{ps, "popin_call_abandoned", `{"event":"popin_call_abandoned","properties":{"meta":"fb"}}`, "data/properties/meta: want array or object or null, got string"},
		{ps, "popin_call_remark_added", `{"event":"popin_call_remark_added","properties":{"remark":"call back"}}`, ""},
		{ps, "popin_call_remark_added", `{"event":"popin_call_remark_added","properties":{"remark":["x"]}}`, "data/properties/remark: want string or null, got array"},
		{ps, "popin_scheduled_created", `{"event":"popin_scheduled_created","properties":{"scheduled_time":"09:30 PM","scheduled_date":"27-Feb-2026","scheduled_date_local":"28-Feb-2026"}}`, ""},
		{ps, "popin_scheduled_created", `{"event":"popin_scheduled_created","properties":{"scheduled_date":20260227}}`, "data/properties/scheduled_date: want string or null, got number"},
		{ps, "popin_missed_notification", `{"event":"popin_missed_notification","user_id":7}`, ""},
		{ps, "popin_scheduled_notification", `{"event":"popin_scheduled_notification","properties":null}`, ""},
		{ps, "popin_prescheduled_notification", `{"event":"popin_prescheduled_notification","timestamp":1763920000}`, ""},
		{ps, "popin_prescheduled_notification", `{"event":"popin_prescheduled_notification","timestamp":true}`, "data/timestamp: want number or string or null, got boolean"},
		{ps, "popin_user_captured", `{"event":"popin_user_captured","email":null,"properties":{"customer_email":"a@b.c","customer_country_code":"+91"}}`, ""},
		{ps, "popin_user_captured", `{"event":"popin_user_captured","email":{}}`, "data/email: want string or null, got object"},
		{ps, "popin_call_rated", `{"event":"popin_call_rated","properties":{"rating":4.5,"comments":"ok"}}`, ""},
		{ps, "popin_call_rated", `{"event":"popin_call_rated","properties":{"rating":"5"}}`, ""},
		{ps, "popin_call_rated", `{"event":"popin_call_rated","properties":{"rating":[5]}}`, "data/properties/rating: want number or string or null, got array"},
		{ps, "popin_call_guest_connected", `{"event":"popin_call_guest_connected","guest_type":"agent","guest_id":17}`, ""},
		{ps, "popin_call_guest_connected", `{"event":"popin_call_guest_connected","guest_agent_email":1}`, "data/guest_agent_email: want string or null, got number"},
	}
	for _, tt := range tests {
		t.Run(string(tt.source)+"/"+tt.name, func(t *testing.T) {
			known, err := Validate(tt.source, tt.name, json.RawMessage(tt.data))
			if !known {
				t.Fatalf("%s not known", tt.name)
			}
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("Validate(%s) = %v, want valid", tt.data, err)
				}
				return
			}
			var ve *ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("Validate(%s) = %v (%T), want *ValidationError %q", tt.data, err, err, tt.wantErr)
			}
			if err.Error() != tt.wantErr {
				t.Fatalf("Validate(%s)\n got %q\nwant %q", tt.data, err, tt.wantErr)
			}
		})
	}
}

func TestValidateBatch(t *testing.T) {
	const ev = `{"id":"0b6f5c1e-7d2a-4f3b-9c1d-2e4f6a8b0c1d","name":"nudge_show","ts":1763920000123,"data":{"uid":"u"}`
	tests := []struct {
		body, wantErr string
	}{
		{`{"batch":[` + ev + `}]}`, ""},
		{`{"batch":[]}`, ""},
		{`{"batch":[` + ev + `,"seq":7,"sid":"s","aid":"a","ctx":{"url":"https://x","utm":{"utm_source":"fb"},"consent":{"ads":true}}}]}`, ""},
		{`{"batch":[` + ev + `,"ctx":{"consent":{"ad_storage":"granted","ad_user_data":"DENIED","ads":false}}}]}`, ""},
		{`{"batch":[` + ev + `,"ctx":{"consent":{"ads":"yes","tcf":"CPXxRfAPXxRfAAfKABENB","n":1,"o":{},"z":null}}}]}`, ""},
		{`{"batch":[` + ev + `,"ctx":{"consent":"CPXxRfAPXxRfAAfKABENB"}}]}`, "batch/0/ctx/consent: want object, got string"},
		{`{"batch":[` + ev + `,"ts":1.5}]}`, "batch/0/ts: want integer, got number"},
		{`{"batch":[{"id":"nope","name":"x","ts":1,"data":{}}]}`, "batch/0/id: does not match ^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"},
		{`{"batch":[{"name":"x","ts":1,"data":{}}]}`, "batch/0/id: required"},
		{`{"batch":[{}]}`, "batch/0/id: required (and 3 more)"},
		{`{"events":[]}`, "batch: required"},
		{`[]`, "want object, got array"},
		{`{"batch":`, "invalid JSON: unexpected EOF"},
	}
	for _, tt := range tests {
		err := ValidateBatch([]byte(tt.body))
		got := ""
		if err != nil {
			got = err.Error()
		}
		if got != tt.wantErr {
			t.Errorf("ValidateBatch(%s)\n got %q\nwant %q", tt.body, got, tt.wantErr)
		}
	}
}

func TestValidateIsSafeOnHostileInput(t *testing.T) {
	for _, data := range []string{
		`{"uid":"a","rating":1e999999}`,
		`{"uid":"a","rating":123456789012345678901234567890}`,
		`{"uid":"` + string([]byte{0xff, 0xfe}) + `"}`,
		`{"a":` + repeat("[", 5000) + repeat("]", 5000) + `}`,
		"\x00",
	} {
		_, _ = Validate(br, "popin_rating_done", json.RawMessage(data))
	}
}

func repeat(s string, n int) string {
	b := make([]byte, 0, len(s)*n)
	for range n {
		b = append(b, s...)
	}
	return string(b)
}
