package ingest

import (
	"context"
	"errors"
	"runtime"
	"sync"
	"time"

	"github.com/popinbridge/bridge/collector/eventlog"
	"github.com/popinbridge/bridge/internal/event"
)

// prepare turns parsed items into events ready to append, validating each
// against the schemas; invalid items become rejects. wire holds, for each
// event in order, its id as the client sent it (for acks and retries: the
// events' own ids are lower case).
//
// A batch of at least parallelMin events per core is validated on all
// cores (GOMAXPROCS goroutines at most, for the batch's duration only).
func (in *Ingest) prepare(c client, items []Item, now time.Time) (evs []event.Event, wire []string, rejects []Reject) {
	verdicts := in.validateParallel(items)
	for i := range items {
		it := &items[i]
		if it.Reject != nil {
			rejects = append(rejects, *it.Reject)
			continue
		}
		if err := plausibleTS(it.ClientTime, now); err != nil {
			rejects = append(rejects, Reject{ID: it.WireID, Code: CodeInvalidEvent, Error: err.Error()})
			continue
		}
		var known bool
		var err error
		if verdicts != nil {
			known, err = verdicts[i].known, verdicts[i].err
		} else {
			known, err = in.validate(it)
		}
		if err != nil {
			rejects = append(rejects, Reject{ID: it.WireID, Code: CodeInvalidEvent, Error: err.Error()})
			continue
		}
		ctx := it.Context
		if ctx.GAClientID != "" && !event.ValidGAClientID(ctx.GAClientID) {
			// Not a _ga client id: the field is dropped (counted), never the event.
			ctx.GAClientID = ""
			in.m.gaDropped.WithLabelValues(c.transport).Inc()
		}
		ctx.IP = c.ip
		ctx.UserAgent = c.userAgent
		ct := it.ClientTime
		if ct.IsZero() {
			ct = now
		}
		if evs == nil {
			evs = make([]event.Event, 0, len(items)-i)
			wire = make([]string, 0, len(items)-i)
		}
		wire = append(wire, it.WireID)
		evs = append(evs, event.Event{
			ID: it.ID, SiteID: c.site.ID, Name: it.Name, Source: it.Source, Known: known,
			UID: it.UID, AnonID: it.AnonID, SessionID: it.SessionID, Seq: it.Seq,
			ClientTime: ct, ReceivedAt: now, Data: it.Data, Context: ctx,
		})
	}
	return evs, wire, rejects
}

// parallelMin is the fewest events per goroutine worth validating apart.
const parallelMin = 32

type verdict struct {
	known bool
	err   error
}

// validateParallel validates items on several cores when the batch is big
// enough and returns each item's verdict; nil means the caller validates
// them itself, in order.
func (in *Ingest) validateParallel(items []Item) []verdict {
	workers := min(runtime.GOMAXPROCS(0), len(items)/parallelMin)
	if workers < 2 {
		return nil
	}
	out := make([]verdict, len(items))
	chunk := (len(items) + workers - 1) / workers
	var wg sync.WaitGroup
	for start := 0; start < len(items); start += chunk {
		end := min(start+chunk, len(items))
		wg.Go(func() {
			for i := start; i < end; i++ {
				if items[i].Reject == nil {
					out[i].known, out[i].err = in.validate(&items[i])
				}
			}
		})
	}
	wg.Wait()
	return out
}

// validate checks an item's data, from its decoded value when there is one.
// The value is used up: with the default validator, which keeps no
// reference to it, a pooled map goes back for reuse. The default validator
// is not asked about an item ParseBatch found to fit its schema.
func (in *Ingest) validate(it *Item) (bool, error) {
	if it.fits {
		if _, isDefault := in.validator.(schemaValidator); isDefault {
			return true, nil
		}
	}
	if it.decoded && in.valueVal != nil {
		known, err := in.valueVal.ValidateValue(it.Source, it.Name, it.value)
		if _, isDefault := in.valueVal.(schemaValidator); isDefault && it.pooled {
			putDataMap(it.value.(map[string]any))
			it.value, it.decoded, it.pooled = nil, false, false
		}
		return known, err
	}
	return in.validator.Validate(it.Source, it.Name, it.Data)
}

// rateLimit spends n event tokens from the client's IP and site buckets. It
// returns 0 when allowed, else how long the client should wait.
func (in *Ingest) rateLimit(c client, n int, now time.Time) time.Duration {
	if d := in.ipLimits.take(c.ip, n, now); d > 0 {
		return d
	}
	return in.siteLimits.take(c.site.ID, n, now)
}

// commit appends evs durably. nil means every event is fsynced (ack them);
// any error means none may be acked. eventlog.ErrTooLarge is permanent (the
// callers reject); every other failure is retryable (the client keeps the
// events), since resending is always safe.
func (in *Ingest) commit(ctx context.Context, c client, evs []event.Event) error {
	if len(evs) == 0 {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, in.cfg.AppendTimeout)
	defer cancel()
	start := time.Now()
	err := in.appender.Append(ctx, evs)
	in.m.appendDur.Observe(time.Since(start).Seconds())
	if err == nil {
		in.m.accepted.WithLabelValues(c.transport).Add(float64(len(evs)))
		in.observeConsent(c, evs)
		return nil
	}
	reason := "error"
	switch {
	case errors.Is(err, eventlog.ErrSiteFull): // the site holds its share of the log
		reason = "site_full"
	case errors.Is(err, eventlog.ErrFull):
		reason = "full"
	case errors.Is(err, eventlog.ErrUnavailable):
		reason = "unavailable"
	case errors.Is(err, eventlog.ErrTooLarge):
		reason = "too_large"
	case errors.Is(err, eventlog.ErrClosed):
		reason = "closed"
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		reason = "timeout"
	}
	in.m.appendFails.WithLabelValues(reason).Inc()
	if reason == "error" {
		in.logger.Warn("event log append failed", "site", c.site.ID, "events", len(evs), "err", err)
	}
	return err
}

func (in *Ingest) countRejects(transport string, rejects []Reject) {
	for _, r := range rejects {
		in.m.rejected.WithLabelValues(transport, string(r.Code)).Inc()
	}
}
