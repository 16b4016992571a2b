package eventlog

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/nats-io/nats.go"
)

// Follow makes r, one of this package's readers, leave its pull request
// open between Fetches that wait (wait > 0), for a reader that handles each
// segment as it comes (the forwarder). A segment logged then is sent to the
// reader at once, without a pull request per Fetch and the status ending it:
// at low traffic that is two messages through the NATS connection, and
// their goroutine hand-offs, fewer per segment. The request asks for up to
// the Fetch's max segments and expires after its wait; the next Fetch that
// finds it ended (all delivered, or expired) opens another. Segments the
// request brings while no Fetch runs wait in the reader's subscription, as
// with any request whose Fetch ended early, and are returned by the next
// Fetch; their AckWait runs meanwhile. Readers of other implementations are
// left as they are.
func Follow(r Reader) {
	if rr, ok := r.(*reader); ok {
		rr.follow.Store(true)
	}
}

// took counts a segment against the open request.
func (p *puller) took() {
	if p.open != "" {
		if p.left--; p.left <= 0 {
			p.open = "" // the server ends a request once it brought its batch
		}
	}
}

// follow waits up to wait for segments through the open request, opening
// one when there is none; with sem held and nothing buffered. The request
// outlives the call.
func (p *puller) follow(ctx context.Context, n int, wait time.Duration) ([]*nats.Msg, error) {
	end := time.Now().Add(wait)
	for {
		if p.open == "" {
			p.n++
			reply := p.inbox + "." + strconv.FormatUint(p.n, 10)
			req, _ := json.Marshal(pullRequest{Batch: n, Expires: wait})
			if err := p.nc.PublishRequest(p.subject, reply, req); err != nil {
				return nil, err
			}
			p.open, p.left, p.until = reply, n, time.Now().Add(wait)
		}
		// The server ends the request by until; this bounds the wait when
		// it cannot answer at all.
		lost, dl := p.until.Add(opTimeout), end
		if lost.Before(dl) {
			dl = lost
		}
		tctx, cancel := context.WithDeadline(ctx, dl)
		msg, err := p.sub.NextMsgWithContext(tctx)
		cancel()
		switch {
		case err == nil:
		case ctx.Err() != nil:
			return nil, ctx.Err()
		case time.Now().Before(lost) && errors.Is(err, context.DeadlineExceeded):
			return nil, nil // nothing within wait; the request stays open
		default:
			p.open = ""
			return nil, fmt.Errorf("no answer to pull request: %w", err)
		}
		switch code := pullStatus(msg); {
		case code == "":
			p.took()
			return p.buffered([]*nats.Msg{msg}, n)
		case msg.Subject != p.open || code == "100":
			// The end of an earlier request, or an idle heartbeat.
		case code == "404" || code == "408":
			p.open = "" // expired: open another while wait lasts
			if !time.Now().Before(end) {
				return nil, nil
			}
		default:
			p.open = ""
			return nil, errPullStatus{code, msg.Header.Get("Description")}
		}
	}
}
