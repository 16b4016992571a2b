package ingest

import (
	"fmt"
	"time"
)

// Plausible client times. An event's ts must lie within
// [receipt − MaxClientTimeAge, receipt + MaxClientTimeAhead]; otherwise the
// event is rejected (invalid_event naming ts). Without ts the receipt time
// is used.
//
// Ahead: a day covers any clock skew of a working device. Age: 30 days is
// the window within which the ClickHouse sink trusts ts for event_time
// (docs/queries.md), far beyond how long the SDK holds an unsent event (its
// outbox lives with the site's pages), and beyond the event log's dedup
// window (at least 1 h): older events cannot be told apart from resends
// already forwarded, and are history rather than something to deliver.
const (
	MaxClientTimeAhead = 24 * time.Hour
	MaxClientTimeAge   = 30 * 24 * time.Hour
)

// plausibleTS checks a client time against receipt time now; a zero ts (not
// sent) is always plausible.
func plausibleTS(ts, now time.Time) error {
	switch {
	case ts.IsZero():
		return nil
	case ts.After(now.Add(MaxClientTimeAhead)):
		return fmt.Errorf("ts: %s is more than %d hours after receipt (%s)",
			ts.UTC().Format(time.RFC3339), int(MaxClientTimeAhead/time.Hour), now.UTC().Format(time.RFC3339))
	case ts.Before(now.Add(-MaxClientTimeAge)):
		return fmt.Errorf("ts: %s is more than %d days before receipt (%s)",
			ts.UTC().Format(time.RFC3339), int(MaxClientTimeAge/(24*time.Hour)), now.UTC().Format(time.RFC3339))
	}
	return nil
}
