package logsample

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/popinbridge/bridge/internal/testkit"
)

// capture is a JSON slog handler writing to a buffer, read back as lines.
type capture struct{ testkit.LockedBuffer }

func (c *capture) lines(t *testing.T) []map[string]any {
	t.Helper()
	var out []map[string]any
	sc := bufio.NewScanner(strings.NewReader(c.String()))
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatal(err)
		}
		out = append(out, m)
	}
	return out
}

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func newSampler(cfg Config) (*Sampler, *capture, *clock) {
	c := &capture{}
	clk := &clock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	cfg.Now = clk.now
	return New(slog.New(slog.NewJSONHandler(c, nil)), cfg), c, clk
}

// suppressedSum adds the "suppressed" attributes of lines.
func suppressedSum(lines []map[string]any) int {
	n := 0
	for _, l := range lines {
		if v, ok := l["suppressed"].(float64); ok {
			n += int(v)
		}
	}
	return n
}

func TestBurstPerKeyThenCount(t *testing.T) {
	for _, tc := range []struct {
		name  string
		burst int
		lines int
		keys  int
	}{
		{"one key", 5, 10000, 1},
		{"three keys", 3, 10000, 3},
		{"under the burst", 5, 4, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, c, clk := newSampler(Config{Burst: tc.burst, Interval: time.Minute})
			for i := range tc.lines {
				s.Warn(fmt.Sprint("ep", i%tc.keys), "delivery failed", "n", i)
			}
			perKey := tc.lines / tc.keys
			written := min(perKey, tc.burst) * tc.keys
			if got := len(c.lines(t)); got != written {
				t.Fatalf("%d lines written, want %d", got, written)
			}
			if got := s.Suppressed(); got != uint64(tc.lines-written) {
				t.Fatalf("Suppressed() = %d, want %d", got, tc.lines-written)
			}
			// The next interval's first line of each key carries the count.
			clk.advance(time.Minute)
			for k := range tc.keys {
				s.Warn(fmt.Sprint("ep", k), "delivery failed")
			}
			lines := c.lines(t)
			if len(lines) != written+tc.keys {
				t.Fatalf("%d lines after the interval, want %d", len(lines), written+tc.keys)
			}
			if got := suppressedSum(lines); got != tc.lines-written {
				t.Fatalf("suppressed counts add to %d, want %d", got, tc.lines-written)
			}
		})
	}
}

func TestFlushReportsWhatIsSuppressed(t *testing.T) {
	s, c, _ := newSampler(Config{Burst: 2})
	for range 7 {
		s.Error("ep1", "dead letter not stored")
	}
	s.Warn("ep2", "ack failed") // nothing suppressed: no summary
	s.Flush(context.Background())
	lines := c.lines(t)
	if len(lines) != 4 {
		t.Fatalf("%d lines, want 2+1 written and 1 summary: %v", len(lines), lines)
	}
	last := lines[3]
	if last["msg"] != "dead letter not stored" || last["key"] != "ep1" || last["suppressed"] != 5.0 || last["level"] != "ERROR" {
		t.Fatalf("summary line: %v", last)
	}
	s.Flush(context.Background()) // nothing left
	if len(c.lines(t)) != 4 {
		t.Fatal("second flush wrote again")
	}
}

func TestKeysBounded(t *testing.T) {
	const maxKeys, burst, total = 8, 2, 10000
	s, c, clk := newSampler(Config{Burst: burst, MaxKeys: maxKeys})
	for i := range total {
		s.Warn(fmt.Sprint("ep", i), "delivery failed")
	}
	s.mu.Lock()
	n := len(s.keys)
	s.mu.Unlock()
	if n > maxKeys+1 {
		t.Fatalf("%d keys tracked, bound is %d (+1 overflow)", n, maxKeys)
	}
	written := len(c.lines(t))
	if written != maxKeys+burst { // one line per tracked key, a burst for the overflow
		t.Fatalf("%d lines, want %d", written, maxKeys+burst)
	}
	// Expired keys are pruned for new ones; their counts are reported then.
	clk.advance(time.Minute)
	s.Warn("fresh", "delivery failed")
	s.Flush(context.Background())
	lines := c.lines(t)
	if suppressedSum(lines) != total-written {
		t.Fatalf("suppressed counts add to %d, want %d", suppressedSum(lines), total-written)
	}
}

func TestConcurrentUse(t *testing.T) {
	s, c, _ := newSampler(Config{Burst: 5, MaxKeys: 4})
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 1000 {
				s.Warn(fmt.Sprint("ep", (g+i)%6), "delivery failed")
			}
		})
	}
	wg.Wait()
	written := len(c.lines(t))
	s.Flush(context.Background())
	if got := suppressedSum(c.lines(t)); got+written != 8000 {
		t.Fatalf("written %d + suppressed %d != 8000", written, got)
	}
}
