package eventlog

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// Retention. The stream uses the Limits policy with DiscardNew: nothing is
// removed implicitly except by the MaxAge safety cap, and a full stream
// refuses appends instead of evicting unread events. A purge loop (every
// PurgeInterval, and soon after an append is refused as full) removes the
// segments that both
//   - every durable consumer of the stream has acked (below the lowest ack
//     floor), and
//   - have their dedup keys persisted or are older than the dedup window
//     (keystore.go; normally a fraction of a second after the commit).
//
// Why not the Interest or WorkQueue policies: they delete a message as soon as
// the consumers ack it, before its dedup keys are persisted, and they drop
// messages that arrive while no consumer exists yet.
//
// Every durable consumer counts, registered in this process or not, so a
// consumer whose component is temporarily disabled keeps its events. A
// consumer that is gone for good must be deleted (DeleteReader), or the log
// fills up and appends fail with ErrFull. With no durable consumer at all
// nothing is purged.

func (l *Log) kickPurge() {
	select {
	case l.purgeKick <- struct{}{}:
	default:
	}
}

func (l *Log) retain(ctx context.Context) {
	ticker := time.NewTicker(l.cfg.PurgeInterval)
	defer ticker.Stop()
	var last time.Time
	for {
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
		case <-l.purgeKick:
			if time.Since(last) < time.Second {
				continue
			}
		}
		last = time.Now()
		pctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		if _, err := l.purge(pctx); err != nil && ctx.Err() == nil {
			l.logger.Warn("event log purge failed", "error", err)
		}
		cancel()
	}
}

// purge removes what retention allows and returns how many segments went.
func (l *Log) purge(ctx context.Context) (uint64, error) {
	info, err := l.stream.Info(ctx)
	if err != nil {
		return 0, fmt.Errorf("eventlog: purge: stream info: %w", err)
	}
	st := info.State
	l.m.bytes.Set(float64(st.Bytes))
	l.quota.purged(st.FirstSeq) // what max_age removed
	l.m.siteBytesMax.Set(float64(l.quota.largest()))
	if st.Msgs == 0 {
		return 0, nil
	}
	windowStart := st.LastSeq + 1 // first segment inside the dedup window
	if seq, ok, err := l.firstSeqSince(ctx, l.now().Add(-l.cfg.DedupWindow)); err != nil {
		return 0, err
	} else if ok {
		windowStart = seq
	}
	keep := min(st.LastSeq+1, l.keys.purgeFloor(windowStart)) // first sequence to keep
	durables := 0
	lister := l.stream.ListConsumers(ctx)
	for ci := range lister.Info() {
		if ci.Config.Durable == "" {
			continue
		}
		durables++
		keep = min(keep, ci.AckFloor.Stream+1)
	}
	if err := lister.Err(); err != nil {
		return 0, fmt.Errorf("eventlog: purge: list consumers: %w", err)
	}
	if durables == 0 || keep <= st.FirstSeq {
		return 0, nil
	}
	if err := l.stream.Purge(ctx, jetstream.WithPurgeSequence(keep)); err != nil {
		return 0, fmt.Errorf("eventlog: purge below %d: %w", keep, err)
	}
	n := keep - st.FirstSeq
	l.quota.purged(keep)
	l.m.siteBytesMax.Set(float64(l.quota.largest()))
	l.m.purged.Add(float64(n))
	l.logger.Debug("event log purged", "segments", n, "first_kept", keep)
	return n, nil
}

// firstSeqSince returns the sequence of the first segment stored at or after t.
func (l *Log) firstSeqSince(ctx context.Context, t time.Time) (uint64, bool, error) {
	req, _ := json.Marshal(struct {
		StartTime time.Time `json:"start_time"`
	}{t.UTC()})
	msg, err := l.nc.RequestWithContext(ctx, "$JS.API.STREAM.MSG.GET."+l.cfg.StreamName, req)
	if err != nil {
		return 0, false, fmt.Errorf("eventlog: find first segment since %s: %w", t.Format(time.RFC3339), err)
	}
	var resp struct {
		Message *struct {
			Seq uint64 `json:"seq"`
		} `json:"message"`
		Error *jetstream.APIError `json:"error"`
	}
	if err := json.Unmarshal(msg.Data, &resp); err != nil {
		return 0, false, fmt.Errorf("eventlog: find first segment: %w", err)
	}
	if resp.Error != nil {
		if resp.Error.Code == 404 || resp.Error.ErrorCode == jetstream.JSErrCodeMessageNotFound {
			return 0, false, nil
		}
		return 0, false, fmt.Errorf("eventlog: find first segment: %w", resp.Error)
	}
	if resp.Message == nil {
		return 0, false, nil
	}
	return resp.Message.Seq, true, nil
}
