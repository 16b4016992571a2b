package eventlog

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/nats-io/nats.go"
)

// puller runs a reader's pulls over one inbox subscription kept for the
// reader's life, with one pull request per Fetch: JetStream's own Fetch
// subscribes and unsubscribes an inbox for every call, and Reader.Fetch
// needed up to three of them per segment at low traffic (what is there, wait
// for one, top up). Each request asks for up to n segments with no_wait and
// expires: the server sends what is there at once, or waits up to expires
// for the first, then ends the request with a status as soon as nothing more
// is pending.
//
// Every request has its own reply subject (inbox.<n>), so the status ending
// an earlier request is told apart (segments carry their stream subject, so
// they cannot be). Segments of an earlier request that arrive after its
// Fetch returned (its ctx ended) are deliveries to this reader all the
// same: the next Fetch returns them, at once if they came before it.
type puller struct {
	nc      *nats.Conn
	subject string // $JS.API.CONSUMER.MSG.NEXT.<stream>.<reader>
	sem     chan struct{}

	// Set on first use, with sem held.
	sub   *nats.Subscription
	inbox string
	n     uint64

	// The request a following Fetch left open (follow.go); with sem held.
	open  string    // its reply subject; "" when none
	left  int       // segments it may still bring
	until time.Time // when the server ends it at the latest
}

// maxPullBuffered bounds the segments the subscription holds between
// Fetches: at most one request of up to 1024 is outstanding per Fetch, plus
// the rest of requests whose Fetch ended early. Beyond it NATS drops them
// (slow consumer) and the log redelivers them after AckWait.
const maxPullBuffered = 4096

func newPuller(nc *nats.Conn, stream, reader string) *puller {
	return &puller{nc: nc, subject: "$JS.API.CONSUMER.MSG.NEXT." + stream + "." + reader, sem: make(chan struct{}, 1)}
}

// pullRequest is JetStream's JSApiConsumerGetNextRequest.
type pullRequest struct {
	Batch   int           `json:"batch"`
	Expires time.Duration `json:"expires,omitempty"`
	NoWait  bool          `json:"no_wait"`
}

// errPullStatus is a status that ends a request abnormally (consumer
// deleted, no responders, too many waiting requests).
type errPullStatus struct{ code, desc string }

func (e errPullStatus) Error() string { return "status " + e.code + " " + e.desc }

// fetch sends one pull request for up to n messages, waiting up to wait for
// the first (none: answered at once), and returns the messages received.
// On error, or when ctx ends, the messages received so far are returned too:
// the caller decides what to do with them.
//
// With follow (and wait > 0) the request is left open instead (follow.go).
func (p *puller) fetch(ctx context.Context, n int, wait time.Duration, follow bool) ([]*nats.Msg, error) {
	select {
	case p.sem <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	defer func() { <-p.sem }()
	if p.sub == nil {
		p.inbox = p.nc.NewInbox()
		sub, err := p.nc.SubscribeSync(p.inbox + ".*")
		if err != nil {
			return nil, err
		}
		if err := sub.SetPendingLimits(maxPullBuffered, -1); err != nil {
			_ = sub.Unsubscribe()
			return nil, err
		}
		p.sub = sub
	}
	// What earlier requests were sent since: with some, only top up.
	msgs, err := p.buffered(nil, n)
	if err != nil || len(msgs) == n {
		return msgs, err
	}
	if follow && wait > 0 {
		if len(msgs) > 0 {
			return msgs, nil // the open request brings the rest as it comes
		}
		return p.follow(ctx, n, wait)
	}
	if len(msgs) > 0 {
		wait = 0
	}
	p.n++
	reply := p.inbox + "." + strconv.FormatUint(p.n, 10)
	req, _ := json.Marshal(pullRequest{Batch: n - len(msgs), Expires: max(wait, 0), NoWait: true})
	if err := p.nc.PublishRequest(p.subject, reply, req); err != nil {
		return msgs, err
	}
	// The server always ends the request by expires; this bounds the wait
	// when it cannot answer at all.
	tctx, cancel := context.WithTimeout(ctx, max(wait, 0)+opTimeout)
	defer cancel()
	for len(msgs) < n {
		msg, err := p.sub.NextMsgWithContext(tctx)
		if err != nil {
			if ctx.Err() != nil {
				return msgs, ctx.Err()
			}
			return msgs, fmt.Errorf("no answer to pull request: %w", err)
		}
		switch code := pullStatus(msg); {
		case code == "":
			p.took()
			msgs = append(msgs, msg)
		case msg.Subject != reply || code == "100":
			// The end of an earlier request, or an idle heartbeat.
			if msg.Subject == p.open && code != "100" {
				p.open = ""
			}
		case code == "404" || code == "408":
			return msgs, nil // nothing (more) pending, or expired
		default:
			return msgs, errPullStatus{code, msg.Header.Get("Description")}
		}
	}
	return msgs, nil
}

// buffered adds to msgs, up to n, the segments the subscription holds,
// without waiting; statuses ending the open request close it.
func (p *puller) buffered(msgs []*nats.Msg, n int) ([]*nats.Msg, error) {
	for len(msgs) < n {
		if k, _, _ := p.sub.Pending(); k == 0 {
			break
		}
		msg, err := p.sub.NextMsg(opTimeout)
		if err != nil {
			return msgs, err
		}
		if code := pullStatus(msg); code != "" {
			if msg.Subject == p.open && code != "100" {
				p.open = ""
			}
			continue
		}
		p.took()
		msgs = append(msgs, msg)
	}
	return msgs, nil
}

// pullStatus is the status code of a JetStream status message, "" for a
// segment.
func pullStatus(msg *nats.Msg) string {
	if len(msg.Data) > 0 || msg.Header == nil {
		return ""
	}
	return msg.Header.Get("Status")
}

// close drops the subscription; a later fetch makes a new one.
func (p *puller) close() {
	p.sem <- struct{}{}
	defer func() { <-p.sem }()
	if p.sub != nil {
		_ = p.sub.Unsubscribe()
		p.sub = nil
	}
	p.open = ""
}
