// Package logsample bounds repeated log lines. A Sampler writes at most
// Burst lines per key per Interval and counts the lines beyond. The count
// of a key is reported once its interval has ended: on the key's next
// written line (attribute "suppressed"), or by one summary line when the
// key is pruned or flushed. At most MaxKeys keys are tracked; lines of keys
// beyond them share one overflow key, so memory stays bounded whatever the
// keys are.
package logsample

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"
)

// Config bounds a Sampler. Zero fields take the defaults.
type Config struct {
	Burst    int              // lines per key per interval; default 5
	Interval time.Duration    // default 1 minute
	MaxKeys  int              // keys tracked; default 1024
	Now      func() time.Time // the clock; default time.Now
}

// overflowKey is shared by the lines of keys beyond MaxKeys.
const overflowKey = "\x00overflow"

// Sampler writes sampled lines to a logger. Safe for concurrent use.
type Sampler struct {
	log        *slog.Logger
	cfg        Config
	suppressed atomic.Uint64

	mu   sync.Mutex
	keys map[string]*window
}

type window struct {
	start      time.Time
	written    int
	suppressed int
	sub        string     // the caller's key, named in summary lines
	level      slog.Level // of the last line suppressed
	msg        string
}

// New returns a Sampler writing to log (nil: slog.Default()).
func New(log *slog.Logger, cfg Config) *Sampler {
	if log == nil {
		log = slog.Default()
	}
	if cfg.Burst < 1 {
		cfg.Burst = 5
	}
	if cfg.Interval <= 0 {
		cfg.Interval = time.Minute
	}
	if cfg.MaxKeys < 1 {
		cfg.MaxKeys = 1024
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Sampler{log: log, cfg: cfg, keys: map[string]*window{}}
}

// Warn logs msg at WARN, sampled by (msg, key).
func (s *Sampler) Warn(key, msg string, args ...any) {
	s.Log(context.Background(), slog.LevelWarn, key, msg, args...)
}

// Error logs msg at ERROR, sampled by (msg, key).
func (s *Sampler) Error(key, msg string, args ...any) {
	s.Log(context.Background(), slog.LevelError, key, msg, args...)
}

// Log writes msg with args unless Burst lines of (msg, key) were already
// written in the current interval; then it only counts the line.
func (s *Sampler) Log(ctx context.Context, level slog.Level, key, msg string, args ...any) {
	k := msg + "\x00" + key
	s.mu.Lock()
	now := s.cfg.Now()
	w := s.keys[k]
	var pruned []window
	if w == nil {
		if len(s.keys) >= s.cfg.MaxKeys {
			pruned = s.prune(now)
		}
		sub := key
		if len(s.keys) >= s.cfg.MaxKeys {
			k, sub = overflowKey, "(keys beyond max_keys)"
			w = s.keys[k]
		}
		if w == nil {
			w = &window{start: now, sub: sub}
			s.keys[k] = w
		}
	}
	reported := 0
	if now.Sub(w.start) >= s.cfg.Interval {
		reported = w.suppressed
		w.start, w.written, w.suppressed = now, 0, 0
	}
	write := w.written < s.cfg.Burst
	if write {
		w.written++
	} else {
		w.suppressed++
		w.level, w.msg = level, msg
	}
	s.mu.Unlock()
	s.emit(ctx, pruned)
	if !write {
		s.suppressed.Add(1)
		return
	}
	if reported > 0 {
		args = append(args, "suppressed", reported)
	}
	s.log.Log(ctx, level, msg, args...)
}

// Flush writes one summary line for every key with lines suppressed and
// forgets every key (call it at shutdown).
func (s *Sampler) Flush(ctx context.Context) {
	s.mu.Lock()
	var out []window
	for _, w := range s.keys {
		if w.suppressed > 0 {
			out = append(out, *w)
		}
	}
	clear(s.keys)
	s.mu.Unlock()
	s.emit(ctx, out)
}

// Suppressed is the number of lines not written so far.
func (s *Sampler) Suppressed() uint64 { return s.suppressed.Load() }

// prune forgets the keys whose interval has ended, returning those with
// lines suppressed. s.mu is held.
func (s *Sampler) prune(now time.Time) []window {
	var out []window
	for k, w := range s.keys {
		if now.Sub(w.start) < s.cfg.Interval {
			continue
		}
		if w.suppressed > 0 {
			out = append(out, *w)
		}
		delete(s.keys, k)
	}
	return out
}

func (s *Sampler) emit(ctx context.Context, sums []window) {
	for _, x := range sums {
		s.log.Log(ctx, x.level, x.msg, "key", x.sub, "suppressed", x.suppressed, "since", x.start)
	}
}
