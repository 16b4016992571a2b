package forwarder

import (
	"context"
	"errors"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/popinbridge/bridge/collector/eventlog"
)

// fanout reads the event log and enqueues deliveries, acking a segment only
// once every delivery of it is stored in the queue.
func (f *Forwarder) fanout(ctx context.Context, reader eventlog.Reader) {
	for ctx.Err() == nil {
		segs, err := reader.Fetch(ctx, 16, time.Second)
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			f.logger.Warn("event log fetch failed; retrying", "err", err)
			sleepCtx(ctx, time.Second)
			continue
		}
		for _, seg := range segs {
			if err := f.enqueueSegment(ctx, seg); err != nil {
				f.m.fanoutErrors.Inc()
				if ctx.Err() == nil {
					f.logger.Warn("deliveries of a log segment not enqueued; will retry", "seq", seg.Seq(), "err", err)
				}
				_ = seg.Nak(time.Second)
				continue
			}
			if err := seg.Ack(); err != nil {
				f.logger.Warn("log segment ack failed; it will be re-read (deliveries are deduplicated)", "seq", seg.Seq(), "err", err)
			}
		}
	}
}

// enqueueSegment publishes one delivery per (event, endpoint that wants it)
// and waits for every publish acknowledgement.
func (f *Forwarder) enqueueSegment(ctx context.Context, seg eventlog.Segment) error {
	routes := f.routes.Load()
	type pending struct {
		fut jetstream.PubAckFuture
		ep  string
	}
	var futs []pending
	var errs []error
	wait := func() error {
		for _, p := range futs {
			select {
			case ack := <-p.fut.Ok():
				if !ack.Duplicate {
					f.m.enqueued.WithLabelValues(p.ep).Inc()
				}
			case err := <-p.fut.Err():
				if isEndpointQueueFull(err) {
					f.m.enqueueDrops.WithLabelValues(p.ep, "queue_full").Inc()
					f.logger.Error("endpoint queue full: delivery dropped", "endpoint", p.ep, "limit", f.cfg.MaxQueuedPerEndpoint)
					continue
				}
				errs = append(errs, err)
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		futs = futs[:0]
		return nil
	}
	now := time.Now()
	evs := seg.Events()
	for i := range evs {
		ev := &evs[i]
		for _, rt := range routes.bySite[ev.SiteID] {
			if !rt.wants(ev.SiteID, ev.Name) {
				continue
			}
			if rt.cfg.Status == StatusDisabled {
				f.m.enqueueDrops.WithLabelValues(rt.cfg.ID, "disabled").Inc()
				continue
			}
			id := DeliveryID(rt.cfg.ID, ev.ID)
			m := &message{DeliveryID: id, WebhookID: WebhookID(ev.ID), EndpointID: rt.cfg.ID, Event: *ev, EnqueuedAt: now}
			fut, err := publish(ctx, f.js, f.names, m, id)
			if err != nil {
				return err
			}
			futs = append(futs, pending{fut, rt.cfg.ID})
			if len(futs) >= 512 { // stay under the client's async publish window
				if err := wait(); err != nil {
					return err
				}
			}
		}
	}
	if err := wait(); err != nil {
		return err
	}
	return errors.Join(errs...)
}
