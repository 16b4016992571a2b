package eventlog

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/nats-io/nuid"

	"github.com/popinbridge/bridge/internal/retry"
)

// publish writes b; it holds one slot, released when b is finished.
func (c *committer) publish(b *batch) {
	data := b.seg.Finish()
	msg := &nats.Msg{Subject: c.cfg.Subject, Data: data, Header: nats.Header{}}
	msg.Header.Set(siteBytesHeader, encodeSiteBytes(b.sites))
	id := nuid.Next()
	opts := []jetstream.PublishOpt{jetstream.WithMsgID(id), jetstream.WithExpectStream(c.cfg.StreamName)}
	start := time.Now()
	fut, err := c.js.PublishMsgAsync(msg, opts...)
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		defer func() {
			<-c.slots
			select {
			case c.freed <- struct{}{}:
			default:
			}
		}()
		var ack *jetstream.PubAck
		if err == nil {
			select {
			case ack = <-fut.Ok():
			case err = <-fut.Err():
			}
		}
		// An unanswered publish may still have been stored: resend with the
		// same Nats-Msg-Id, which the stream deduplicates, to learn the outcome.
		resend := retry.Backoff{Min: 500 * time.Millisecond, Max: time.Second}
		for attempt := 0; err != nil && retryablePublish(err) && attempt < 3; attempt++ {
			if attempt > 0 {
				select {
				case <-time.After(resend.Next()):
				case <-c.stop:
				}
			}
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			ack, err = c.js.PublishMsg(ctx, msg, opts...)
			cancel()
		}
		c.complete(b, ack, err, time.Since(start), data)
	}()
}

func retryablePublish(err error) bool {
	return errors.Is(err, nats.ErrTimeout) || errors.Is(err, jetstream.ErrAsyncPublishTimeout) ||
		errors.Is(err, nats.ErrNoResponders) || errors.Is(err, jetstream.ErrNoStreamResponse) ||
		errors.Is(err, context.DeadlineExceeded)
}

func (c *committer) complete(b *batch, ack *jetstream.PubAck, err error, took time.Duration, data []byte) {
	size := len(data)
	c.m.commitLatency.Observe(took.Seconds())
	c.mu.Lock()
	delete(c.pending, b)
	now, evicted := c.now(), 0
	for _, k := range b.keys {
		if c.inflight[k] == b {
			delete(c.inflight, k)
		}
		if err == nil {
			evicted += c.index.Add(k, now)
		}
	}
	if err == nil {
		c.m.dedupEntries.Set(float64(c.index.Len()))
		if evicted > 0 {
			c.m.dedupEvictions.Add(float64(evicted))
		}
	}
	c.mu.Unlock()
	if err == nil {
		c.quota.committed(ack.Sequence, b.sites)
		c.keys.enqueue(ack.Sequence, b.keys)
		c.refusedSize.Store(0)
		c.recycle(data)
	} else {
		c.quota.release(b.sites)
	}

	switch {
	case err == nil:
		c.m.commits.WithLabelValues("ok").Inc()
		c.m.appended.Add(float64(len(b.keys)))
		c.m.segmentBytes.Observe(float64(size))
		c.m.segmentEvents.Observe(float64(len(b.keys)))
	case isFull(err):
		c.m.commits.WithLabelValues("full").Inc()
		c.m.fullRejections.Inc()
		c.refusedSize.Store(int64(size))
		err = fmt.Errorf("eventlog: append: %w (%v)", ErrFull, err)
		if c.onFull != nil {
			c.onFull()
		}
	default:
		c.m.commits.WithLabelValues("error").Inc()
		c.logger.Warn("event log commit failed", "events", len(b.keys), "error", err)
		err = fmt.Errorf("eventlog: append: %w: %v", ErrUnavailable, err)
	}
	b.finish(err)
}
