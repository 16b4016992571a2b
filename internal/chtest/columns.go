package chtest

// SyntheticEventColumns are the events columns that tests writing rows by
// hand set, in order: the columns of migration 1. Columns added by later
// migrations keep their defaults, so such tests do not change when the
// table grows.
const SyntheticEventColumns = "event_id, site_id, name, source, known, uid, aid, sid, seq, client_ts, received_at, " +
	"event_time, event_date, url, referrer, title, utm_source, utm_medium, utm_campaign, utm_term, utm_content, " +
	"fbp, fbc, country, ip, user_agent, data"
