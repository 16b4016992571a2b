package forwarder

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// loadStateLocked reads every endpoint's stored state.
func (f *Forwarder) loadStateLocked(ctx context.Context) error {
	lister, err := f.stateKV.ListKeys(ctx)
	if err != nil {
		return fmt.Errorf("forwarder: state: %w", err)
	}
	for key := range lister.Keys() {
		e, err := f.stateKV.Get(ctx, key)
		if err != nil {
			continue
		}
		st, err := f.decodeState(e.Value())
		if err != nil {
			f.logger.Error("endpoint state unreadable; ignored", "endpoint", key, "err", err)
			continue
		}
		f.overrides[key] = st
	}
	return nil
}

// watchState follows the state bucket, so that changes made by another node
// (or by this one) reach every runner.
func (f *Forwarder) watchState(ctx context.Context) {
	for ctx.Err() == nil {
		w, err := f.stateKV.WatchAll(ctx, jetstream.UpdatesOnly())
		if err != nil {
			f.logger.Warn("endpoint state watch failed; retrying", "err", err)
			sleepCtx(ctx, time.Second)
			continue
		}
		for e := range w.Updates() {
			if e == nil {
				continue
			}
			f.mu.Lock()
			if e.Operation() == jetstream.KeyValuePut {
				if st, err := f.decodeState(e.Value()); err == nil {
					f.overrides[e.Key()] = st
				}
			} else {
				delete(f.overrides, e.Key())
			}
			if err := f.rebuildLocked(); err != nil {
				f.logger.Error("endpoint state change not applied", "endpoint", e.Key(), "err", err)
			}
			_ = f.syncRunnersLocked(ctx)
			f.mu.Unlock()
		}
		_ = w.Stop()
	}
}

// updateState changes an endpoint's stored state with fn and applies it.
func (f *Forwarder) updateState(ctx context.Context, id string, fn func(*endpointState)) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.state != stateStarted {
		return errors.New("forwarder: not started")
	}
	st := f.overrides[id]
	fn(&st)
	b, err := f.encodeState(st)
	if err != nil {
		return err
	}
	if _, err := f.stateKV.Put(ctx, id, b); err != nil {
		return fmt.Errorf("forwarder: store state of %s: %w", id, err)
	}
	old, had := f.overrides[id]
	f.overrides[id] = st
	if err := f.rebuildLocked(); err != nil {
		if had {
			f.overrides[id] = old
		} else {
			delete(f.overrides, id)
		}
		return err
	}
	return f.syncRunnersLocked(ctx)
}

func (f *Forwarder) encodeState(st endpointState) ([]byte, error) {
	if f.set.SecretBox != nil && st.Secret != "" {
		s1, err := f.seal(st.Secret)
		if err != nil {
			return nil, err
		}
		s2, err := f.seal(st.PreviousSecret)
		if err != nil {
			return nil, err
		}
		st.Secret, st.PreviousSecret, st.Sealed = s1, s2, true
	}
	return json.Marshal(st)
}

func (f *Forwarder) decodeState(b []byte) (endpointState, error) {
	var st endpointState
	if err := json.Unmarshal(b, &st); err != nil {
		return st, err
	}
	if st.Sealed {
		if f.set.SecretBox == nil {
			return st, errors.New("secrets are sealed but no SecretBox is configured")
		}
		var err1, err2 error
		st.Secret, err1 = f.open(st.Secret)
		st.PreviousSecret, err2 = f.open(st.PreviousSecret)
		if err := errors.Join(err1, err2); err != nil {
			return st, err
		}
		st.Sealed = false
	}
	return st, nil
}

func (f *Forwarder) seal(s string) (string, error) {
	if s == "" {
		return "", nil
	}
	b, err := f.set.SecretBox.Seal([]byte(s))
	if err != nil {
		return "", fmt.Errorf("forwarder: seal secret: %w", err)
	}
	return base64.StdEncoding.EncodeToString(b), nil
}

func (f *Forwarder) open(s string) (string, error) {
	if s == "" {
		return "", nil
	}
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return "", err
	}
	p, err := f.set.SecretBox.Open(b)
	if err != nil {
		return "", fmt.Errorf("forwarder: open secret: %w", err)
	}
	return string(p), nil
}

func sleepCtx(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}
