// Package lease gives one node of a cluster at a time the turn at work that
// must not run on every node at once (a retention pass, ...). A lease is a
// key in a NATS KV bucket whose value names its holder and when the lease
// ends; it is taken and renewed with compare-and-set, so two holders never
// both hold it. A holder that stops without releasing is replaced once its
// lease has ended by the clock of the node that takes over: nodes' clocks
// need to agree to well within the lease's TTL.
package lease

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// Lease is one named turn as seen by one holder. Safe for concurrent use.
type Lease struct {
	kv     jetstream.KeyValue
	name   string
	holder string
	ttl    time.Duration
	now    func() time.Time

	mu  sync.Mutex
	rev uint64 // revision of this holder's last write; 0: not held
}

// New is the lease name in kv for holder (a name unique to this process),
// lasting ttl after each Acquire. now nil means time.Now.
func New(kv jetstream.KeyValue, name, holder string, ttl time.Duration, now func() time.Time) (*Lease, error) {
	switch {
	case kv == nil:
		return nil, errors.New("lease: no bucket")
	case name == "" || strings.ContainsAny(name, " .*>"):
		return nil, fmt.Errorf("lease: name %q must be a non-empty KV key without spaces or dots", name)
	case holder == "" || strings.Contains(holder, " "):
		return nil, fmt.Errorf("lease: holder %q must be non-empty without spaces", holder)
	case ttl <= 0:
		return nil, fmt.Errorf("lease: ttl %v must be positive", ttl)
	}
	if now == nil {
		now = time.Now
	}
	return &Lease{kv: kv, name: name, holder: holder, ttl: ttl, now: now}, nil
}

// Acquire takes the lease when no one holds it (or the holder's lease has
// ended), or renews it when this holder holds it. It reports whether this
// holder holds it now, for ttl from now; false with a nil error means
// another holder does. An error means it is not known (then act as not
// holding it).
func (l *Lease) Acquire(ctx context.Context) (bool, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	value := []byte(l.holder + " " + now.Add(l.ttl).UTC().Format(time.RFC3339Nano))
	if l.rev != 0 {
		rev, err := l.kv.Update(ctx, l.name, value, l.rev)
		if err == nil {
			l.rev = rev
			return true, nil
		}
		l.rev = 0
		if !isConflict(err) {
			return false, fmt.Errorf("lease %s: renew: %w", l.name, err)
		}
	}
	e, err := l.kv.Get(ctx, l.name)
	var rev uint64
	switch {
	case errors.Is(err, jetstream.ErrKeyNotFound) || (err == nil && e.Operation() != jetstream.KeyValuePut):
		rev, err = l.kv.Create(ctx, l.name, value)
	case err != nil:
		return false, fmt.Errorf("lease %s: read: %w", l.name, err)
	default:
		holder, until, ok := parse(e.Value())
		if ok && holder != l.holder && now.Before(until) {
			return false, nil
		}
		rev, err = l.kv.Update(ctx, l.name, value, e.Revision())
	}
	if err != nil {
		if isConflict(err) {
			return false, nil // another holder wrote first
		}
		return false, fmt.Errorf("lease %s: take: %w", l.name, err)
	}
	l.rev = rev
	return true, nil
}

// Release gives the lease up at once when this holder holds it, so that
// another node need not wait for it to end. Safe when not held.
func (l *Lease) Release(ctx context.Context) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.rev == 0 {
		return nil
	}
	rev := l.rev
	l.rev = 0
	if err := l.kv.Delete(ctx, l.name, jetstream.LastRevision(rev)); err != nil && !isConflict(err) {
		return fmt.Errorf("lease %s: release: %w", l.name, err)
	}
	return nil
}

// parse reads "<holder> <until>"; ok is false for anything else (then the
// value is treated as an ended lease and overwritten).
func parse(v []byte) (holder string, until time.Time, ok bool) {
	h, u, found := strings.Cut(string(v), " ")
	if !found || h == "" {
		return "", time.Time{}, false
	}
	t, err := time.Parse(time.RFC3339Nano, u)
	if err != nil {
		return "", time.Time{}, false
	}
	return h, t, true
}

// isConflict: a compare-and-set lost to another writer.
func isConflict(err error) bool {
	var api *jetstream.APIError
	return errors.Is(err, jetstream.ErrKeyExists) ||
		(errors.As(err, &api) && (api.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequence ||
			api.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequenceConstant))
}
