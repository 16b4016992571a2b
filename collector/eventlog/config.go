package eventlog

import (
	"errors"
	"fmt"
	"regexp"
	"time"

	"github.com/popinbridge/bridge/internal/natsrv"
)

// Config is the YAML configuration of the event log. Where NATS runs (the
// `dir` and `url` keys of the same section) is internal/natsrv's Config.
type Config struct {
	// StreamName is the JetStream stream holding the log. Default BRIDGE_EVENTS.
	StreamName string `yaml:"stream_name"`
	// Subject the segments are published on. Default bridge.events.
	Subject string `yaml:"subject"`
	// MaxBytes caps the stream's size; at the cap Append fails with ErrFull
	// (JetStream DiscardNew). Default 8 GiB.
	MaxBytes int64 `yaml:"max_bytes"`
	// MaxAge is a safety cap: segments older than this are removed even if a
	// reader has not acked them. Default 7 days (168h).
	MaxAge time.Duration `yaml:"max_age"`
	// DedupWindow is how long an event ID is remembered; at least 1h,
	// default 1h. The IDs are persisted in the stream <stream_name>_DEDUP
	// (16 bytes each, at most 40 × dedup_max_entries bytes), from which the
	// dedup index is rebuilt at start.
	DedupWindow time.Duration `yaml:"dedup_window"`
	// DedupMaxEntries bounds the dedup index (about 30 bytes per entry,
	// 4 of them for its lookup filter).
	// Default 2,000,000. Evictions are counted in
	// bridge_eventlog_dedup_evictions_total.
	DedupMaxEntries int `yaml:"dedup_max_entries"`
	// CommitDelay is how long the committer waits for more events before it
	// writes a segment while an earlier segment awaits its fsync; with none
	// in flight (also when the last one finishes during the wait) a segment
	// is written at once. Default 2ms. 0 writes as soon as the previous
	// commit allows.
	CommitDelay time.Duration `yaml:"commit_delay"`
	// MaxCommitEvents caps the events in one segment. Default 1000.
	MaxCommitEvents int `yaml:"max_commit_events"`
	// MaxCommitBytes caps the encoded size of one segment, and so of one
	// event (Append refuses a larger event with ErrTooLarge). Default 1 MiB;
	// at most a quarter of max_bytes.
	MaxCommitBytes int `yaml:"max_commit_bytes"`
	// MaxInFlightCommits is how many segments may await their fsync at once
	// while the next one fills. Default 4.
	MaxInFlightCommits int `yaml:"max_inflight_commits"`
	// AckWait is how long a reader has to ack a segment before it is
	// redelivered. Default 60s.
	AckWait time.Duration `yaml:"ack_wait"`
	// PurgeInterval is how often segments acked by every reader are
	// removed. Default 1m.
	PurgeInterval time.Duration `yaml:"purge_interval"`
	// SiteMaxShare is the fraction of max_bytes that one site's unpurged
	// events may take (at least 4 × max_commit_bytes); beyond it the site's
	// appends are refused as full while other sites' are accepted. Between
	// 0 (exclusive) and 1; 1 turns the fair share off. Default 0.5.
	SiteMaxShare float64 `yaml:"site_max_share"`
}

// NewDefaultConfig returns the defaults documented on Config.
func NewDefaultConfig() Config {
	return Config{
		StreamName:         "BRIDGE_EVENTS",
		Subject:            "bridge.events",
		MaxBytes:           8 << 30,
		MaxAge:             7 * 24 * time.Hour,
		DedupWindow:        time.Hour,
		DedupMaxEntries:    2_000_000,
		CommitDelay:        2 * time.Millisecond,
		MaxCommitEvents:    1000,
		MaxCommitBytes:     1 << 20,
		MaxInFlightCommits: 4,
		AckWait:            60 * time.Second,
		PurgeInterval:      time.Minute,
		SiteMaxShare:       0.5,
	}
}

var (
	streamNameRE = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)
	subjectRE    = regexp.MustCompile(`^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$`)
)

// maxSegmentBytes is the most MaxCommitBytes may be: the embedded server's
// payload limit minus room for headers.
const maxSegmentBytes = natsrv.MaxPayload - 1<<20

// Validate reports every problem of c, each naming its key.
func (c Config) Validate() error {
	var errs []error
	bad := func(key, format string, args ...any) {
		errs = append(errs, fmt.Errorf("eventlog.%s: %s", key, fmt.Sprintf(format, args...)))
	}
	if !streamNameRE.MatchString(c.StreamName) {
		bad("stream_name", "%q must be non-empty letters, digits, '_' or '-'", c.StreamName)
	}
	if !subjectRE.MatchString(c.Subject) {
		bad("subject", "%q must be dot-separated tokens without wildcards", c.Subject)
	}
	if c.MaxBytes < 1<<20 {
		bad("max_bytes", "%d is below the minimum of 1 MiB", c.MaxBytes)
	}
	if c.DedupWindow < time.Hour {
		bad("dedup_window", "%s is below the minimum of 1h", c.DedupWindow)
	}
	if c.MaxAge < c.DedupWindow {
		bad("max_age", "%s must be at least dedup_window (%s)", c.MaxAge, c.DedupWindow)
	}
	if c.DedupMaxEntries < 1000 {
		bad("dedup_max_entries", "%d is below the minimum of 1000", c.DedupMaxEntries)
	}
	if c.CommitDelay < 0 || c.CommitDelay > time.Second {
		bad("commit_delay", "%s must be between 0 and 1s", c.CommitDelay)
	}
	if c.MaxCommitEvents < 1 {
		bad("max_commit_events", "%d must be at least 1", c.MaxCommitEvents)
	}
	if c.MaxCommitBytes < 1024 || c.MaxCommitBytes > maxSegmentBytes {
		bad("max_commit_bytes", "%d must be between 1024 and %d", c.MaxCommitBytes, maxSegmentBytes)
	}
	if c.MaxCommitBytes > 0 && c.MaxBytes >= 1<<20 && int64(c.MaxCommitBytes) > c.MaxBytes/4 {
		bad("max_commit_bytes", "%d must be at most a quarter of max_bytes (%d)", c.MaxCommitBytes, c.MaxBytes)
	}
	if c.MaxInFlightCommits < 1 || c.MaxInFlightCommits > 64 {
		bad("max_inflight_commits", "%d must be between 1 and 64", c.MaxInFlightCommits)
	}
	if c.AckWait < time.Second {
		bad("ack_wait", "%s is below the minimum of 1s", c.AckWait)
	}
	if c.PurgeInterval < time.Second {
		bad("purge_interval", "%s is below the minimum of 1s", c.PurgeInterval)
	}
	if !(c.SiteMaxShare > 0 && c.SiteMaxShare <= 1) {
		bad("site_max_share", "%v must be above 0 and at most 1", c.SiteMaxShare)
	}
	return errors.Join(errs...)
}
