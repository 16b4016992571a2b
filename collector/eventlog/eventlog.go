// Package eventlog is the durable, ordered log between ingest and the
// consumers (ClickHouse sink, forwarder).
//
// Contract:
//   - Append returns nil only once every event it was given is fsynced to
//     stable storage (or was already there: events are deduplicated by ID
//     within the dedup window). Only then may the collector ack the client.
//   - Append returns an error wrapping ErrFull when the log is at capacity
//     and ErrUnavailable when it cannot write now; both are retryable (the
//     collector answers 503 + Retry-After). Nothing is half-acked: on error the
//     caller must assume none of the events were stored, and may resend.
//   - Readers see segments (groups of events committed together) in commit
//     order, at least once. A segment is redelivered until acked.
//
// Implementation (Log, see New): NATS JetStream on the process's NATS part
// (internal/natsrv, handed in as Settings.NATS and started before the Log):
// embedded by default (no network listener; sync_interval always, so the
// server acks a message only after fsync) or external servers, which must
// then run with `sync_interval: always` for the guarantee above to hold
// across power loss.
//
//   - Group commit: one committer goroutine gathers the events of all
//     concurrent Append calls into one segment (while a commit is in flight,
//     for up to CommitDelay or MaxCommitEvents / MaxCommitBytes; a lone
//     append is written at once), publishes it as ONE JetStream message,
//     and releases every caller when the fsynced PubAck arrives. Up to
//     MaxInFlightCommits segments await their ack while the next one fills.
//   - Dedup: key = (site, event ID). A key committed within DedupWindow is
//     skipped (Append still returns nil); a key whose first copy is in flight
//     waits for that commit. The index is bounded (DedupMaxEntries, evictions
//     counted); its keys are persisted in a second stream (keystore.go) and
//     rebuilt from it at Start, so a client resending after kill -9 does not
//     create duplicates even when the segments were purged. Dedup is
//     best effort beyond that (an append whose outcome was unknown, e.g. a
//     lost PubAck after retries, may be stored twice when resent): consumers
//     must stay idempotent on event ID.
//   - Retention: Limits policy, DiscardNew at MaxBytes (Append fails with
//     ErrFull), MaxAge as a safety cap, plus a purge of the segments that every
//     durable reader has acked (and whose dedup keys are persisted).
//   - Fair share: one site may hold at most SiteMaxShare of MaxBytes; beyond
//     it its appends fail with ErrSiteFull while other sites' go on
//     (sitequota.go).
//   - Readers are JetStream durable pull consumers (explicit ack, AckWait).
package eventlog

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/popinbridge/bridge/internal/event"
)

var (
	// ErrFull means the log holds its configured maximum; retry later.
	ErrFull = errors.New("event log is full")
	// ErrSiteFull means one site holds its share of the log (site_max_share);
	// it wraps ErrFull, so it is answered alike. Retry later.
	ErrSiteFull = fmt.Errorf("site's share of the %w", ErrFull)
	// ErrUnavailable means the log cannot accept writes right now; retry later.
	ErrUnavailable = errors.New("event log unavailable")
	// ErrTooLarge means one event is larger than a segment may be
	// (max_commit_bytes); it is permanent for that event.
	ErrTooLarge = errors.New("event too large for the event log")
	// ErrClosed is returned after Shutdown.
	ErrClosed = errors.New("event log closed")
)

// Appender appends events durably. Safe for concurrent use.
type Appender interface {
	Append(ctx context.Context, events []event.Event) error
}

// Segment is a group of events committed together, as seen by a Reader.
type Segment interface {
	// Seq is the segment's position in the log (strictly increasing).
	Seq() uint64
	Events() []event.Event
	// Ack marks the segment done for this reader; it will not be redelivered.
	Ack() error
	// Nak asks for redelivery after delay.
	Nak(delay time.Duration) error
	// Deliveries is how many times this segment was handed to this reader (1 on first).
	Deliveries() uint64
}

// Reader is one named, durable cursor over the log. Each consumer (sink,
// forwarder) uses its own name; cursors survive restarts.
type Reader interface {
	// Fetch waits up to wait for at least one segment and returns up to max
	// segments. It returns (nil, nil) when none arrived in time, and ctx.Err()
	// when ctx ends.
	Fetch(ctx context.Context, max int, wait time.Duration) ([]Segment, error)
	// Pending is how many segments are committed but not yet acked by this reader.
	Pending() (uint64, error)
}
