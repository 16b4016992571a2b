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
package eventlog

import (
	"context"
	"errors"
	"time"

	"github.com/popinbridge/bridge/collector/event"
)

var (
	// ErrFull means the log holds its configured maximum; retry later.
	ErrFull = errors.New("event log is full")
	// ErrUnavailable means the log cannot accept writes right now; retry later.
	ErrUnavailable = errors.New("event log unavailable")
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
