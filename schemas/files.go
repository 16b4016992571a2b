package schemas

import (
	"embed"

	"github.com/popinbridge/bridge/internal/event"
)

//go:embed browser/*.json popin/*.json batch.json
var files embed.FS

// baseURL prefixes every schema's $id.
const baseURL = "https://github.com/popinbridge/bridge/schemas/"

// group is one directory of event schemas, in catalog order. Keeping the
// names here, in one place, makes a wrong guess easy to correct; a schema
// file missing from (or not listed in) the order is a build error caught by
// the tests.
type group struct {
	dir    string
	source event.Source
	order  []string
}

var groups = []group{
	{dir: "browser", source: event.SourceBrowser, order: []string{
		"nudge_show",
		"nudge_open",
		"nudge_close",
		"popin_permission_given",
		"popin_permission_denied",
		"popin_expert_busy",
		"popin_rating_done",
		"popin_schedule_created",
		"popin_call_end",
		"popin_captured",
		"popin_screen_change", // [OUR PROPOSAL]
		"popin_auto_captured", // [OUR PROPOSAL]
		"popin_widget_open",   // [OUR PROPOSAL]
		"popin_widget_close",  // [OUR PROPOSAL]
	}},
	{dir: "popin", source: event.SourcePopinServer, order: []string{
		"popin_call_successful",
		"popin_call_missed",
		"popin_call_abandoned",
		"popin_call_remark_added",
		"popin_scheduled_created",
		"popin_missed_notification",
		"popin_scheduled_notification",
		"popin_prescheduled_notification",
		"popin_user_captured",
		"popin_call_rated",
		"popin_call_guest_connected",
	}},
}
