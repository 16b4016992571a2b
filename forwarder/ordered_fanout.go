package forwarder

import (
	"context"
	"sync"
	"time"

	"github.com/popinbridge/bridge/collector/eventlog"
	"github.com/popinbridge/bridge/forwarder/queue"
	"github.com/popinbridge/bridge/internal/endpoint"
	"github.com/popinbridge/bridge/internal/event"
	"github.com/popinbridge/bridge/internal/retry"
)

// serialLog is what ordered delivery needs from the event log besides
// Log: a cursor that hands out one segment at a time, cluster-wide, in
// log order, starting at segments stored from a time (*eventlog.Log).
// Without it ordered endpoints are delivered unordered, with an error in
// the log.
type serialLog interface {
	SerialReader(name string, from time.Time) (eventlog.Reader, error)
}

// orderedReaderSuffix names the serial reader: <reader_name>_ordered.
const orderedReaderSuffix = "_ordered"

// serialSlack is how far before the earliest ordering change a new serial
// reader starts: events received after a change are stored after it, give
// or take the clock skew between the collector and NATS. What it reads
// that is not its own it skips.
const serialSlack = time.Minute

// Each event goes to one of the two fan-outs by the endpoint's ordering
// in force when the event was received (endpoint.OrderedAt, from the
// stored endpoint), so every node and every restart split alike: the main
// fan-out takes the unordered ones, the serial one the ordered ones.

// orderedElsewhere reports whether the ordered fan-out, not the main one,
// delivers ev to the endpoint. Without a serial reader on this node, the
// main fan-out delivers everything.
func (f *Forwarder) orderedElsewhere(rt *endpointRuntime, ev *event.Event) bool {
	return f.serialOn.Load() && rt.cfg.OrderedAt(ev.ReceivedAt)
}

// orderedHere reports whether the ordered fan-out delivers ev to rt.
func orderedHere(rt *endpointRuntime, ev *event.Event) bool {
	return rt.cfg.OrderedAt(ev.ReceivedAt)
}

// startOrderedLocked starts, once, the ordered fan-out and the partition
// loops of each endpoint that is or was ordered (EverOrdered: after a
// switch to none, its ordered events before the switch still drain).
// A new serial reader starts a little before the earliest ordering change
// of any endpoint, so it misses none of the events it must deliver, even
// when created after them (the first ordered endpoint, a node started
// later).
func (f *Forwarder) startOrderedLocked(ctx context.Context) {
	any := false
	var from time.Time
	for id, rt := range f.routes.Load().byID {
		if !rt.cfg.EverOrdered() {
			continue
		}
		any = true
		if ch := rt.cfg.OrderingChanges; len(ch) > 0 && (from.IsZero() || ch[0].Before(from)) {
			from = ch[0]
		}
		if r := f.runners[id]; r != nil && !r.ordStarted {
			if err := r.startOrdered(ctx); err != nil {
				f.logger.Error("ordered delivery not started; retried at the next endpoint change", "endpoint", id, "err", err)
				continue
			}
			r.ordStarted = true
		}
	}
	if !any || f.serialOn.Load() {
		return
	}
	sl, ok := f.set.Log.(serialLog)
	if !ok {
		f.logger.Error("the event log has no serial reader: ordered endpoints are delivered unordered")
		return
	}
	if !from.IsZero() {
		from = from.Add(-serialSlack)
	}
	reader, err := sl.SerialReader(f.cfg.ReaderName+orderedReaderSuffix, from)
	if err != nil {
		f.logger.Error("ordered fan-out not started; ordered endpoints are delivered unordered until it is", "err", err)
		return
	}
	f.serialOn.Store(true)
	f.bg.Add(1)
	go func() { defer f.bg.Done(); f.orderedFanout(f.bgctx, reader) }()
}

// orderedFanout reads the log one segment at a time, cluster-wide in log
// order, and stores each delivery to an ordered endpoint in its visitor's
// partition before acking the segment. Within a partition the writes are
// sequential (each waits for its PubAck), so the partition holds a
// visitor's deliveries in log order; a failed write stops the partition's
// writes and the segment is read again (rewritten ones are no-ops by
// their Nats-Msg-Id, the rest follow in order).
func (f *Forwarder) orderedFanout(ctx context.Context, reader eventlog.Reader) {
	backoff := retry.Backoff{Min: 100 * time.Millisecond, Max: 5 * time.Second}
	for ctx.Err() == nil {
		segs, err := reader.Fetch(ctx, 1, time.Second)
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			f.logs.Warn("", "event log fetch failed (ordered fan-out); retrying", "err", err)
			retry.Sleep(ctx, backoff.Next())
			continue
		}
		backoff.Reset()
		for _, seg := range segs {
			// A segment in hand is finished even when stopping: nak'ed
			// half-written, it would be written again after a restart, and
			// a partition message already delivered and removed is no
			// longer known to the queue's dedup then (made twice).
			if ok := f.dispatchOrdered(context.WithoutCancel(ctx), seg); !ok {
				f.m.fanoutErrors.Inc()
				_ = seg.Nak(time.Second)
				continue
			}
			if err := seg.Ack(); err != nil {
				f.logs.Warn("", "log segment ack failed (ordered fan-out); it will be read again", "seq", seg.Seq(), "err", err)
			}
		}
	}
}

// dispatchOrdered writes the ordered deliveries of one segment; false
// when some could not be written.
func (f *Forwarder) dispatchOrdered(ctx context.Context, seg eventlog.Segment) bool {
	routes := f.routes.Load()
	parts := map[string][]*queue.Message{}
	var keys []string
	evs := seg.Events()
	for i := range evs {
		ev := &evs[i]
		env := eventEnv{ev: ev}
		for _, rt := range routes.bySite[ev.SiteID] {
			if !rt.wants(ev.SiteID, ev.Name) || !orderedHere(rt, ev) {
				continue
			}
			if rt.cfg.Status == endpoint.StatusDisabled {
				f.m.enqueueDrops.WithLabelValues(rt.cfg.ID, "disabled").Inc()
				continue
			}
			id := queue.DeliveryID(rt.cfg.ID, ev.ID)
			if out, _ := f.filterOut(rt, &env); out || f.suppress(rt, &env, id) {
				continue
			}
			vh := queue.VisitorHash(endpoint.VisitorKey(ev.UID, ev.AnonID))
			m := &queue.Message{DeliveryID: id, WebhookID: queue.WebhookID(ev.ID), EndpointID: rt.cfg.ID, Event: *ev,
				EnqueuedAt: time.Now(), Visitor: vh}
			key := rt.cfg.ID + "\x00" + string(rune('a'+queue.PartitionOf(vh)))
			if _, ok := parts[key]; !ok {
				keys = append(keys, key)
			}
			parts[key] = append(parts[key], m)
		}
	}
	var wg sync.WaitGroup
	ok := make([]bool, len(keys))
	for i, key := range keys {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ok[i] = f.writePartition(ctx, parts[key])
		}()
	}
	wg.Wait()
	for _, o := range ok {
		if !o {
			return false
		}
	}
	return true
}

// writePartition stores one partition's deliveries of a segment in order.
func (f *Forwarder) writePartition(ctx context.Context, ms []*queue.Message) bool {
	for _, m := range ms {
		pctx, cancel := context.WithTimeout(ctx, queue.PublishTimeout)
		err := f.q.PublishPartition(pctx, m, m.DeliveryID)
		cancel()
		switch {
		case err == nil:
			f.m.enqueued.WithLabelValues(m.EndpointID).Inc()
		case queue.IsFull(err):
			f.m.enqueueDrops.WithLabelValues(m.EndpointID, "queue_full").Inc()
			f.logs.Error(m.EndpointID, "endpoint partition full: delivery dropped", "endpoint", m.EndpointID, "limit", f.cfg.MaxQueuedPerEndpoint)
		default:
			f.logs.Warn(m.EndpointID, "ordered delivery not queued; the segment is read again", "endpoint", m.EndpointID, "err", err)
			return false
		}
	}
	return true
}
